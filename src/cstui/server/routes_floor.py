"""`/floor`: what the supervisor's monitor reads (aggregates only), and pausing routing."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.encoders import jsonable_encoder

from cstui.serialize import agent_dict
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep

router = APIRouter(tags=["monitor"])


def _plain(value: Any) -> Any:
    """A store dataclass as JSON: enums as their values, datetimes in ISO form."""
    return jsonable_encoder(asdict(value))


@router.get("/floor/queues", response_model=S.Out)
def queue_depth(store: StoreDep, agent: AgentDep) -> Any:
    return _plain(store.queue_depth())


@router.get("/floor/green", response_model=S.Items)
def green_board(
    store: StoreDep, agent: AgentDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    return {"items": [_plain(g) for g in store.green_board(limit=limit)]}


@router.get("/floor/escalations", response_model=S.Items)
def waiting_escalations(
    store: StoreDep, agent: AgentDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> dict[str, Any]:
    return {"items": [_plain(e) for e in store.waiting_escalations(limit=limit)]}


@router.get("/floor/agents", response_model=S.Items)
def agent_loads(store: StoreDep, agent: AgentDep) -> dict[str, Any]:
    return {"items": [_plain(a) for a in store.agent_loads()]}


@router.post("/agents/{name}/routing", response_model=S.AgentOut)
def set_routing_paused(
    store: StoreDep,
    agent: AgentDep,
    name: Annotated[str, Path(min_length=1, max_length=64)],
    change: S.RoutingIn,
) -> dict[str, Any]:
    """Pause or resume an agent's routing (supervisors; audited)."""
    return agent_dict(store.set_routing_paused(name, actor=agent.name, paused=change.paused))
