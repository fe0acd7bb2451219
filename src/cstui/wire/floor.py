"""What the supervisor's monitor reads: aggregates over the floor, never a ticket's text."""

from __future__ import annotations

from pydantic import Field

from cstui.domain.model import Department, EscalationState, Role, Shift
from cstui.store.base import AgentLoad, GreenTicket, QueueDepth, WaitingEscalation
from cstui.wire.base import Json, Public, Stamp, iso


class QueueDepthPublic(Public[QueueDepth]):
    """Open tickets counted per queue view, channel and customer tier."""

    views: dict[str, int]
    channels: dict[str, int]
    tiers: dict[str, int]
    breached: int = Field(description="open tickets past their nearest SLA deadline")

    @classmethod
    def encode(cls, q: QueueDepth) -> Json:
        return {
            "views": dict(q.views),
            "channels": dict(q.channels),
            "tiers": dict(q.tiers),
            "breached": q.breached,
        }

    def to_domain(self) -> QueueDepth:
        return QueueDepth(
            views=dict(self.views),
            channels=dict(self.channels),
            tiers=dict(self.tiers),
            breached=self.breached,
        )


class GreenTicketPublic(Public[GreenTicket]):
    """An open ticket on the green channel and when its solution is due."""

    ticket_id: int
    subject: str
    owner: str | None
    since: Stamp
    due_at: Stamp

    @classmethod
    def encode(cls, g: GreenTicket) -> Json:
        return {
            "ticket_id": g.ticket_id,
            "subject": g.subject,
            "owner": g.owner,
            "since": g.since.isoformat(),
            "due_at": g.due_at.isoformat(),
        }

    def to_domain(self) -> GreenTicket:
        return GreenTicket(
            ticket_id=self.ticket_id,
            subject=self.subject,
            owner=self.owner,
            since=self.since,
            due_at=self.due_at,
        )


class WaitingEscalationPublic(Public[WaitingEscalation]):
    """An escalation still with its department (requested or acknowledged)."""

    id: int
    ticket_id: int
    subject: str
    owner: str | None
    department: Department
    reason: str
    state: EscalationState
    green: bool
    created_at: Stamp
    due_at: Stamp

    @classmethod
    def encode(cls, w: WaitingEscalation) -> Json:
        return {
            "id": w.id,
            "ticket_id": w.ticket_id,
            "subject": w.subject,
            "owner": w.owner,
            "department": w.department.value,
            "reason": w.reason,
            "state": w.state.value,
            "green": w.green,
            "created_at": w.created_at.isoformat(),
            "due_at": w.due_at.isoformat(),
        }

    def to_domain(self) -> WaitingEscalation:
        return WaitingEscalation(
            id=self.id,
            ticket_id=self.ticket_id,
            subject=self.subject,
            owner=self.owner,
            department=self.department,
            reason=self.reason,
            state=self.state,
            green=self.green,
            created_at=self.created_at,
            due_at=self.due_at,
        )


class AgentLoadPublic(Public[AgentLoad]):
    """An agent as the monitor shows them."""

    name: str
    role: Role
    shift: Shift | None
    routing_paused: bool
    open_tickets: int
    seen_at: Stamp | None = Field(description="their console's last heartbeat")
    viewing: int | None = Field(description="the ticket open in their console")

    @classmethod
    def encode(cls, a: AgentLoad) -> Json:
        return {
            "name": a.name,
            "role": a.role.value,
            "shift": a.shift.value if a.shift else None,
            "routing_paused": a.routing_paused,
            "open_tickets": a.open_tickets,
            "seen_at": iso(a.seen_at),
            "viewing": a.viewing,
        }

    def to_domain(self) -> AgentLoad:
        return AgentLoad(
            name=self.name,
            role=self.role,
            shift=self.shift,
            routing_paused=self.routing_paused,
            open_tickets=self.open_tickets,
            seen_at=self.seen_at,
            viewing=self.viewing,
        )
