"""Running a POST under its Idempotency-Key: once, and the same answer on every retry.

The response is recorded with the request's effect, in the same transaction
(`SqlStore.run_once`), refusals included: a retried reply that was refused
is refused again, the same way, without acting. A server-side failure (5xx) records
nothing, so the retry really runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cstui.domain.model import Agent
from cstui.errors import CstuiError
from cstui.server.errors import error_body, error_headers
from cstui.server.responses import JSONResponse
from cstui.store.sql import SqlStore

Outcome = tuple[int, Any]


def run_once(
    store: SqlStore,
    agent: Agent,
    key: str | None,
    request_fingerprint: str,
    action: Callable[[], Outcome],
) -> JSONResponse:
    """Run `action` (→ status, body) unless `key` has run already; then replay that."""
    if key is None:
        status, body = action()
        return JSONResponse(body, status)
    refused: list[CstuiError] = []

    def refusal(exc: CstuiError) -> Outcome:
        refused.append(exc)
        return exc.http_status, error_body(exc)

    (status, body), replayed = store.run_once(
        actor=agent.name,
        key=key,
        fingerprint=request_fingerprint,
        action=action,
        refusal=refusal,
    )
    headers: dict[str, str] = {}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    elif refused:
        headers.update(error_headers(refused[0]))
    return JSONResponse(body, status, headers=headers)
