"""Every request's rights, decided in one place before its endpoint runs.

`check_rights` is a dependency of every API router: it finds the matched route in
`cstui.domain.rights.ROUTES` and decides with the caller's role and, where the right
depends on it, the ticket's owner or the article's author (one small read). A route missing
from the table is refused, whoever asks. The reveal of a customer's contact is decided by the
store, in the reveal's own transaction, where a refusal is logged with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from cstui.domain import rights
from cstui.domain.rights import Right, Who
from cstui.errors import BadInput, PermissionDenied
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep
from cstui.store.sql import SqlStore


def right_of(request: Request) -> Right:
    """The right of the route this request matched (PermissionDenied: none is defined)."""
    route = request.scope.get("route")
    path = str(getattr(route, "path", request.url.path))
    # A HEAD is its GET without the body: the same right (the table names GETs only).
    method = "GET" if request.method == "HEAD" else request.method
    right = rights.ROUTES.get((method, path))
    if right is None:
        raise PermissionDenied(f"{request.method} {path}: no rights are defined for this route")
    return right


async def check_rights(request: Request, store: StoreDep, agent: AgentDep) -> None:
    """403 (or 409 for a ticket someone else works) unless the table allows the caller.

    Async and without a store call for most routes; the owner's read runs in the threadpool.
    """
    right = right_of(request)
    owner = None
    if right.needs_owner(agent.role):
        owner = await run_in_threadpool(_owner, store, right, request.path_params)
    rights.check(right, actor=agent.name, role=agent.role, owner=owner)


async def check_tokenless(request: Request) -> None:
    """The rights check of the routes that take no token (a signed intake, a survey link):
    the route must be in the table as public or signed, or it is refused like any other."""
    right = right_of(request)
    if right.who not in (Who.PUBLIC, Who.SIGNED):
        raise PermissionDenied(f"{request.method}: this route needs a token ({right.doing})")


def _owner(store: SqlStore, right: Right, params: Mapping[str, Any]) -> str | None:
    """The article's author, or the ticket's owner, named by the path (404: none such)."""
    if right.who is Who.AUTHOR_OR_SUPERVISOR:
        return store.get_article(_path_id(params, "article_id")).author
    return store.ticket_owner(_path_id(params, "ticket_id"))


def _path_id(params: Mapping[str, Any], name: str) -> int:
    """An id from the path, read before the endpoint validates it (the same bounds)."""
    value = str(params.get(name, ""))
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        raise BadInput(f"{name}: not an id: {value!r}")
    number = int(value)
    if not 1 <= number <= S.MAX_ID:
        raise BadInput(f"{name}: an id between 1 and {S.MAX_ID}")
    return number
