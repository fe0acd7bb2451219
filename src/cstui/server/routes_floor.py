"""`/floor`: what the supervisor's monitor reads (aggregates only), and pausing routing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from cstui import wire as W
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep
from cstui.server.responses import JSONResponse
from cstui.server.routes_log import _aware

router = APIRouter(tags=["monitor"])


@router.get("/floor/queues", response_model=W.QueueDepthPublic)
def queue_depth(store: StoreDep, agent: AgentDep) -> JSONResponse:
    return JSONResponse(W.QueueDepthPublic.encode(store.queue_depth()))


@router.get("/floor/green", response_model=W.Items[W.GreenTicketPublic])
def green_board(
    store: StoreDep, agent: AgentDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> JSONResponse:
    return JSONResponse(W.items(W.GreenTicketPublic, store.green_board(limit=limit)))


@router.get("/floor/escalations", response_model=W.Items[W.WaitingEscalationPublic])
def waiting_escalations(
    store: StoreDep, agent: AgentDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> JSONResponse:
    found = store.waiting_escalations(limit=limit)
    return JSONResponse(W.items(W.WaitingEscalationPublic, found))


@router.get("/floor/agents", response_model=W.Items[W.AgentLoadPublic])
def agent_loads(store: StoreDep, agent: AgentDep) -> JSONResponse:
    return JSONResponse(W.items(W.AgentLoadPublic, store.agent_loads()))


@router.get("/floor/automations", response_model=W.FiredPublic)
def automations_fired(
    store: StoreDep,
    agent: AgentDep,
    since: Annotated[str, Query(max_length=40, description="ISO date or date-time")],
) -> JSONResponse:
    """How many times each automation rule fired from `since` on (a date alone: its
    midnight in UTC; the monitor sends the team's midnight with its offset)."""
    when = _aware(since) or datetime.now(UTC)  # never None: `since` is required
    fired = store.automations_fired(since=when)
    return JSONResponse({"since": when.isoformat(), "rules": fired})


@router.post("/agents/{name}/routing", response_model=W.AgentPublic)
def set_routing_paused(
    store: StoreDep,
    agent: AgentDep,
    name: Annotated[str, Path(min_length=1, max_length=64)],
    change: S.RoutingIn,
) -> JSONResponse:
    """Pause or resume an agent's routing (supervisors; audited)."""
    paused = store.set_routing_paused(name, actor=agent.name, paused=change.paused)
    return JSONResponse(W.AgentPublic.encode(paused))
