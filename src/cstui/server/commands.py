"""The write routes on tickets, derived from the table of commands (`cstui.commands.WRITES`).

Every route is the same generic endpoint: read the path and the body, build the command,
`store.execute` it (once per Idempotency-Key) and encode its answer. What each write route
needs around that is one dependency, `Gate`: the caller's token and rights (the one rights
check, `check_rights`), the Idempotency-Key and the If-Match header where the line takes
them. A new route modelled on these needs its line in the table, nothing here.

Endpoints and the gate are plain `def`s (FastAPI runs them in its threadpool, where the
blocking store call belongs); their signatures are built from the line, so the OpenAPI
schema shows each route's own parameters, in the order the hand-written routes had them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel

from cstui import commands as K
from cstui.commands import IfMatch, Op
from cstui.domain.model import Agent
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep, expected_version, fingerprint
from cstui.server.deps import IfMatch as IfMatchHeader
from cstui.server.idempotent import Outcome, run_once
from cstui.server.responses import JSONResponse
from cstui.server.rights import check_rights
from cstui.store.sql import SqlStore

Id = Annotated[int, Path(ge=1, le=S.MAX_ID)]
# Visible ASCII, as an HTTP structured-field string is (a uuid, say).
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=128, pattern=r"^[\x20-\x7e]+$")
]
Rights = Annotated[None, Depends(check_rights)]


@dataclass(frozen=True)
class Gate:
    """What a write route has decided before its endpoint runs, and how it runs the write."""

    request: Request
    store: SqlStore
    agent: Agent
    key: str | None
    if_match: str | None

    def version(self, when: IfMatch) -> int | None:
        """The version If-Match names (428 without one where it is required)."""
        if when is IfMatch.REQUIRED or (when is IfMatch.OPTIONAL and self.if_match):
            return expected_version(self.if_match)
        return None

    def run(self, body: BaseModel | None, action: Callable[[], Outcome]) -> JSONResponse:
        """`action` once per Idempotency-Key (the same answer to every retry)."""
        asked = fingerprint(self.request.method, self.request.url.path, body)
        return run_once(self.store, self.agent, self.key, asked, action)


def gate_for(op: Op) -> Callable[..., Gate]:
    """The dependency of `op`'s route: the rights are decided (401, 403, 409) before its
    headers and body are validated (422), as every route's are."""

    def gate(
        request: Request,
        store: StoreDep,
        agent: AgentDep,
        key: str | None = None,
        if_match: str | None = None,
        _rights: None = None,
    ) -> Gate:
        return Gate(request, store, agent, key, if_match)

    params = [_param("request", Request)]
    if op.idempotency_key:
        params.append(_param("key", IdempotencyKey, None))
    if op.if_match is not IfMatch.NO:
        params.append(_param("if_match", IfMatchHeader, None))
    params += [_param("_rights", Rights), _param("store", StoreDep), _param("agent", AgentDep)]
    gate.__signature__ = inspect.Signature(params, return_annotation=Gate)  # type: ignore[attr-defined]
    return gate


def endpoint_for(ops: tuple[Op, ...]) -> Callable[..., Response]:
    """The endpoint of one route (of one command, or of several sharing a body)."""
    first = ops[0]
    model = first.body_model()

    def endpoint(gate: Gate, body: BaseModel | None = None, **path: Any) -> Response:
        version = gate.version(first.if_match)
        op, cmd = K.command_for(
            ops, path=path, body=body, actor=gate.agent.name, expected_version=version
        )
        sent: list[Any] = []

        def act() -> Outcome:
            sent.append(op.encode(gate.store.execute(cmd)))
            return op.status, sent[-1]

        return _answer(op, gate.run(body, act), sent)

    params = [_param(name, Id) for name in first.path_params]
    if model is not None:
        params.append(_param("body", model))
    params.append(_param("gate", Annotated[Gate, Depends(gate_for(first))]))
    endpoint.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
    endpoint.__name__ = first.endpoint
    endpoint.__doc__ = first.doc
    return endpoint


def _answer(op: Op, answered: JSONResponse, sent: list[Any]) -> Response:
    """204 has no body; under a required If-Match the answer carries the new ETag."""
    if op.response is None:
        if answered.status_code != 204:
            return answered
        replayed = answered.headers.get("Idempotent-Replayed")
        headers = {"Idempotent-Replayed": replayed} if replayed else {}
        return Response(status_code=204, headers=headers)
    if op.if_match is IfMatch.REQUIRED and sent and answered.status_code < 300:
        answered.headers["ETag"] = f'"{sent[-1]["version"]}"'
    return answered


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    kind = inspect.Parameter.KEYWORD_ONLY
    return inspect.Parameter(name, kind, annotation=annotation, default=default)


def write_router() -> APIRouter:
    """A router of one route per method and path of the table, in its order."""
    router = APIRouter(tags=["tickets"])
    for (method, path), group in K.routes().items():
        first = group[0]
        router.add_api_route(
            path,
            endpoint_for(group),
            methods=[method],
            response_model=first.response,
            status_code=first.status,
            name=first.endpoint,
            description=first.doc,
        )
    return router
