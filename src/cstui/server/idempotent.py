"""Running a POST under its Idempotency-Key: once, and the same answer on every retry.

The response is recorded in the store (`cstui.store.idempotency`), errors included: a
retried reply that was refused is refused again, the same way, without acting. Only a
server-side failure (5xx) forgets the key, so the retry really runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cstui.domain.model import Agent
from cstui.errors import CstuiError
from cstui.server.errors import error_body, error_headers
from cstui.server.responses import JSONResponse
from cstui.store import idempotency
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
    replay = idempotency.claim(store, actor=agent.name, key=key, fingerprint=request_fingerprint)
    if replay is not None:
        return JSONResponse(replay.body, replay.status, headers={"Idempotent-Replayed": "true"})
    try:
        status, body = action()
    except CstuiError as exc:
        if exc.http_status >= 500:
            idempotency.release(store, actor=agent.name, key=key)
            raise
        idempotency.record(
            store, actor=agent.name, key=key, status=exc.http_status, body=error_body(exc)
        )
        return JSONResponse(error_body(exc), exc.http_status, headers=error_headers(exc))
    except BaseException:
        idempotency.release(store, actor=agent.name, key=key)
        raise
    idempotency.record(store, actor=agent.name, key=key, status=status, body=body)
    return JSONResponse(body, status)
