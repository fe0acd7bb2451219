"""`/notifications`: the calling agent's own feed (what the automations told them), and
marking entries read. An agent never sees another's: the token decides whose feed it is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cstui import wire as W
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep
from cstui.server.responses import JSONResponse

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=W.Items[W.NotificationPublic])
def notifications(
    store: StoreDep,
    agent: AgentDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JSONResponse:
    """Newest first; `unread=true` for the unread ones only."""
    found = store.notifications(actor=agent.name, unread_only=unread, limit=limit)
    return JSONResponse(W.items(W.NotificationPublic, found))


@router.post("/notifications/read", response_model=W.MarkedPublic)
def mark_read(store: StoreDep, agent: AgentDep, body: S.MarkReadIn) -> JSONResponse:
    """Mark the caller's notifications read (ids of others' are ignored): repeating it is
    harmless, so it needs no Idempotency-Key."""
    return JSONResponse({"marked": store.mark_read(actor=agent.name, ids=body.ids)})
