"""The supervisor's monitor reads (`/floor/…`) back into the store's dataclasses."""

from __future__ import annotations

from typing import Any

from cstui.domain.model import Department, EscalationState, Role, Shift
from cstui.remote.decode import _when, when
from cstui.store.base import AgentLoad, GreenTicket, QueueDepth, WaitingEscalation

Json = dict[str, Any]


def queue_depth(d: Json) -> QueueDepth:
    return QueueDepth(
        views=dict(d["views"]),
        channels=dict(d["channels"]),
        tiers=dict(d["tiers"]),
        breached=int(d["breached"]),
    )


def green_ticket(d: Json) -> GreenTicket:
    return GreenTicket(
        ticket_id=d["ticket_id"],
        subject=d["subject"],
        owner=d["owner"],
        since=_when(d["since"]),
        due_at=_when(d["due_at"]),
    )


def waiting_escalation(d: Json) -> WaitingEscalation:
    return WaitingEscalation(
        id=d["id"],
        ticket_id=d["ticket_id"],
        subject=d["subject"],
        owner=d["owner"],
        department=Department(d["department"]),
        reason=d["reason"],
        state=EscalationState(d["state"]),
        green=bool(d["green"]),
        created_at=_when(d["created_at"]),
        due_at=_when(d["due_at"]),
    )


def agent_load(d: Json) -> AgentLoad:
    return AgentLoad(
        name=d["name"],
        role=Role(d["role"]),
        shift=Shift(d["shift"]) if d["shift"] else None,
        routing_paused=bool(d["routing_paused"]),
        open_tickets=int(d["open_tickets"]),
        seen_at=when(d["seen_at"]),
        viewing=d["viewing"],
    )
