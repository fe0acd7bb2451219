"""Tickets and what they carry: customer, order, deadlines, escalations, thread, transfers.

CONTRACT.md fixes the minimum a ticket carries; everything here is additive to that.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import Field

from cstui.domain.model import (
    Category,
    Channel,
    ComplaintCause,
    Customer,
    DeliveryState,
    Department,
    Escalation,
    EscalationState,
    GoodsType,
    MatchField,
    Message,
    MessageDelivery,
    MessageFile,
    MessageKind,
    Order,
    Priority,
    ResolutionCode,
    SlaDue,
    Status,
    Ticket,
    TicketHit,
    TicketMatch,
    TicketTriage,
    Tier,
    TransferRequest,
)
from cstui.store.base import TransferOutcome
from cstui.wire.base import Json, Public, Stamp, Wire, iso

Span = tuple[int, int]  # [start, end) of the matching words in a text


class CustomerSummary(Public[Customer]):
    """The customer as a ticket carries them: no contact details."""

    id: int
    name: str
    tier: Tier
    annual_spend: float
    order_count: int
    complaint_count: int

    @classmethod
    def encode(cls, c: Customer) -> Json:
        return {
            "id": c.id,
            "name": c.name,
            "tier": c.tier.value,
            "annual_spend": round(c.annual_spend, 2),
            "order_count": c.order_count,
            "complaint_count": c.complaint_count,
        }

    def to_domain(self) -> Customer:
        return Customer(
            id=self.id,
            name=self.name,
            tier=self.tier,
            annual_spend=self.annual_spend,
            order_count=self.order_count,
            complaint_count=self.complaint_count,
        )


class OrderSummary(Wire):
    """The order as a ticket carries it (its customer is the ticket's)."""

    number: str
    tracking_no: str | None
    logistics_status: str | None = Field(description="e.g. in_transit, delivered, exception")
    amount: float
    goods_type: GoodsType
    placed_at: Stamp

    @classmethod
    def encode(cls, o: Order) -> Json:
        return {
            "number": o.number,
            "tracking_no": o.tracking_no,
            "logistics_status": o.logistics_status,
            "amount": o.amount,
            "goods_type": o.goods_type.value,
            "placed_at": o.placed_at.isoformat(),
        }

    def of_customer(self, customer_id: int) -> Order:
        return Order(
            number=self.number,
            customer_id=customer_id,
            amount=self.amount,
            goods_type=self.goods_type,
            placed_at=self.placed_at,
            tracking_no=self.tracking_no,
            logistics_status=self.logistics_status,
        )


class DuePublic(Public[SlaDue]):
    """Every SLA deadline; null when it does not apply now."""

    first_response: Stamp | None
    next_response: Stamp | None
    resolution: Stamp | None
    green: Stamp | None = None  # the green channel's 2-hour deadline; null off the channel

    @classmethod
    def encode(cls, d: SlaDue) -> Json:
        return {
            "first_response": iso(d.first_response),
            "next_response": iso(d.next_response),
            "resolution": iso(d.resolution),
            "green": iso(d.green),
        }

    def to_domain(self) -> SlaDue:
        return SlaDue(self.first_response, self.next_response, self.resolution, self.green)


class EscalationPublic(Public[Escalation]):
    id: int
    ticket_id: int
    department: Department
    reason: str
    state: EscalationState
    green: bool
    requested_by: str
    created_at: Stamp
    due_at: Stamp
    notes: list[str]

    @classmethod
    def encode(cls, e: Escalation) -> Json:
        return {
            "id": e.id,
            "ticket_id": e.ticket_id,
            "department": e.department.value,
            "reason": e.reason,
            "state": e.state.value,
            "green": e.green,
            "requested_by": e.requested_by,
            "created_at": e.created_at.isoformat(),
            "due_at": e.due_at.isoformat(),
            "notes": list(e.notes),
        }

    def to_domain(self) -> Escalation:
        return Escalation(
            id=self.id,
            ticket_id=self.ticket_id,
            department=self.department,
            reason=self.reason,
            state=self.state,
            green=self.green,
            requested_by=self.requested_by,
            created_at=self.created_at,
            due_at=self.due_at,
            notes=tuple(self.notes),
        )


class MessageDeliveryPublic(Public[MessageDelivery]):
    """How a reply's delivery to the customer stands."""

    state: DeliveryState
    error: str | None = Field(description="why it failed (or the last attempt's error)")
    attempts: int
    sent_at: Stamp | None

    @classmethod
    def encode(cls, d: MessageDelivery) -> Json:
        return {
            "state": d.state.value,
            "error": d.error,
            "attempts": d.attempts,
            "sent_at": iso(d.sent_at),
        }

    def to_domain(self) -> MessageDelivery:
        return MessageDelivery(self.state, self.error, self.attempts, self.sent_at)


class MessageFilePublic(Public[MessageFile]):
    """A file that came or went with the message; its bytes are at `GET /attachments/{id}`."""

    id: int
    filename: str = Field(description="safe: no directories, no control characters")
    content_type: str = Field(description="detected from the bytes, not from the name")
    size: int = Field(description="bytes")
    sha256: str

    @classmethod
    def encode(cls, f: MessageFile) -> Json:
        return {
            "id": f.id,
            "filename": f.filename,
            "content_type": f.content_type,
            "size": f.size,
            "sha256": f.sha256,
        }

    def to_domain(self) -> MessageFile:
        return MessageFile(self.id, self.filename, self.content_type, self.size, self.sha256)


class MessagePublic(Public[Message]):
    id: int
    ticket_id: int
    kind: MessageKind
    channel: Channel
    author: str
    text: str
    created_at: Stamp
    delivery: MessageDeliveryPublic | None = Field(
        description="a reply's delivery to the customer (null: not sent by a channel)"
    )
    attachments: list[MessageFilePublic]

    @classmethod
    def encode(cls, m: Message) -> Json:
        return {
            "id": m.id,
            "ticket_id": m.ticket_id,
            "kind": m.kind.value,
            "channel": m.channel.value,
            "author": m.author,
            "text": m.body,
            "created_at": m.created_at.isoformat(),
            "delivery": None if m.delivery is None else _delivery(m.delivery),
            "attachments": [_file(f) for f in m.attachments],
        }

    def to_domain(self) -> Message:
        return Message(
            id=self.id,
            ticket_id=self.ticket_id,
            kind=self.kind,
            channel=self.channel,
            author=self.author,
            body=self.text,
            created_at=self.created_at,
            delivery=None if self.delivery is None else self.delivery.to_domain(),
            attachments=tuple(f.to_domain() for f in self.attachments),
        )


_delivery = MessageDeliveryPublic.encode
_file = MessageFilePublic.encode


class TicketFields(Wire):
    """What every ticket body carries, in a list, alone or as a search hit."""

    id: int
    subject: str
    status: Status
    priority: Priority
    channel: Channel
    category: Category
    owner: str | None
    dispatch_count: int
    version: int = Field(description="the ETag: If-Match on a change names it")
    green_channel: bool
    customer: CustomerSummary
    order: OrderSummary | None
    due: DuePublic
    escalations: list[EscalationPublic]
    links: list[int] = Field(description="the ids of related tickets")
    complaint_cause: ComplaintCause | None
    second_complaint: bool
    follow_up_due: Stamp | None
    resolution_code: ResolutionCode | None
    resolved_at: Stamp | None
    merged_into: int | None = Field(description="the ticket this duplicate was merged into")
    pending_transfer: str | None = Field(
        default=None, description="the agent a transfer waiting for approval would hand it to"
    )
    created_at: Stamp
    updated_at: Stamp

    def ticket(self, messages: tuple[Message, ...] = ()) -> Ticket:
        """The ticket again, with `messages` as its thread."""
        customer = self.customer.to_domain()
        return Ticket(
            id=self.id,
            subject=self.subject,
            status=self.status,
            priority=self.priority,
            channel=self.channel,
            category=self.category,
            customer=customer,
            owner=self.owner,
            dispatch_count=self.dispatch_count,
            version=self.version,
            green_channel=self.green_channel,
            created_at=self.created_at,
            updated_at=self.updated_at,
            due=self.due.to_domain(),
            order=None if self.order is None else self.order.of_customer(customer.id),
            escalations=tuple(e.to_domain() for e in self.escalations),
            links=tuple(self.links),
            complaint_cause=self.complaint_cause,
            second_complaint=self.second_complaint,
            follow_up_due=self.follow_up_due,
            resolution_code=self.resolution_code,
            resolved_at=self.resolved_at,
            merged_into=self.merged_into,
            pending_transfer=self.pending_transfer,
            messages=messages,
        )


# A queue page encodes a few hundred of these: a name looked up on a model class costs
# 0.15 µs (pydantic's metaclass has a `__getattr__`), a module's name a fifth of that.
_customer = CustomerSummary.encode
_order = OrderSummary.encode
_due = DuePublic.encode
_escalation = EscalationPublic.encode


class TicketTriagePublic(Public[TicketTriage]):
    """What triage read the customer's latest words as when they arrived, and why."""

    category: Category
    priority: Priority = Field(description="the suggested priority")
    risk: str = Field(description="complaint risk: low | medium | high")
    green: bool = Field(description="a green-channel candidate (fresh food, medical device)")
    reasons: list[str] = Field(description='"category: …", "priority: …", "risk: …"')

    @classmethod
    def encode(cls, tr: TicketTriage) -> Json:
        return {
            "category": tr.category.value,
            "priority": tr.priority.value,
            "risk": tr.risk,
            "green": tr.green,
            "reasons": list(tr.reasons),
        }

    def to_domain(self) -> TicketTriage:
        return TicketTriage(
            self.category, self.priority, self.risk, self.green, tuple(self.reasons)
        )


class TicketPublic(TicketFields, Public[Ticket]):
    messages: list[MessagePublic] = Field(
        default_factory=list, description="the thread, oldest first: only when asked for"
    )
    triage: TicketTriagePublic | None = Field(
        default=None, description="with the thread: what triage read the latest words as"
    )

    @classmethod
    def encode(cls, t: Ticket, *, messages: bool = False) -> Json:
        out: Json = {
            "id": t.id,
            "subject": t.subject,
            "status": t.status.value,
            "priority": t.priority.value,
            "channel": t.channel.value,
            "category": t.category.value,
            "owner": t.owner,
            "dispatch_count": t.dispatch_count,
            "version": t.version,
            "green_channel": t.green_channel,
            "customer": _customer(t.customer),
            "order": None if t.order is None else _order(t.order),
            "due": _due(t.due),
            "escalations": [_escalation(e) for e in t.escalations],
            "links": list(t.links),
            "complaint_cause": t.complaint_cause.value if t.complaint_cause else None,
            "second_complaint": t.second_complaint,
            "follow_up_due": iso(t.follow_up_due),
            "resolution_code": t.resolution_code.value if t.resolution_code else None,
            "resolved_at": iso(t.resolved_at),
            "merged_into": t.merged_into,
            "pending_transfer": t.pending_transfer,
            "created_at": t.created_at.isoformat(),
            "updated_at": t.updated_at.isoformat(),
        }
        if messages:
            out["messages"] = [MessagePublic.encode(m) for m in t.messages]
            out["triage"] = None if t.triage is None else TicketTriagePublic.encode(t.triage)
        return out

    def to_domain(self) -> Ticket:
        ticket = self.ticket(tuple(m.to_domain() for m in self.messages))
        if self.triage is None:
            return ticket
        return replace(ticket, triage=self.triage.to_domain())


class TicketMatchPublic(Public[TicketMatch]):
    """Where a search found its words: the text shown, with the spans of those words."""

    field: MatchField
    text: str
    highlights: list[Span]

    @classmethod
    def encode(cls, m: TicketMatch) -> Json:
        spans = [list(span) for span in m.highlights]
        return {"field": m.field.value, "text": m.text, "highlights": spans}

    def to_domain(self) -> TicketMatch:
        return TicketMatch(self.field, self.text, tuple(self.highlights))


class TicketHitPublic(TicketFields, Public[TicketHit]):
    """A ticket search result: the ticket, and where it matched."""

    match: TicketMatchPublic | None = Field(description="null when the query had filters only")

    @classmethod
    def encode(cls, h: TicketHit) -> Json:
        match = None if h.match is None else TicketMatchPublic.encode(h.match)
        return {**TicketPublic.encode(h.ticket), "match": match}

    def to_domain(self) -> TicketHit:
        return TicketHit(self.ticket(), None if self.match is None else self.match.to_domain())


class TransferPublic(Public[TransferRequest]):
    """A transfer waiting for a supervisor's decision, or decided."""

    id: int
    ticket_id: int
    from_owner: str | None = Field(alias="from")
    to: str
    reason: str
    requested_by: str
    state: Literal["pending", "approved", "denied"]
    created_at: Stamp

    @classmethod
    def encode(cls, r: TransferRequest) -> Json:
        return {
            "id": r.id,
            "ticket_id": r.ticket_id,
            "from": r.from_owner,
            "to": r.to_agent,
            "reason": r.reason,
            "requested_by": r.requested_by,
            "state": r.state,
            "created_at": r.created_at.isoformat(),
        }

    def to_domain(self) -> TransferRequest:
        return TransferRequest(
            id=self.id,
            ticket_id=self.ticket_id,
            from_owner=self.from_owner,
            to_agent=self.to,
            reason=self.reason,
            requested_by=self.requested_by,
            created_at=self.created_at,
            state=self.state,
        )


class TransferOutcomePublic(Public[TransferOutcome]):
    """The ticket after a transfer; `request` is the approval it waits for (null: moved now)."""

    ticket: TicketPublic
    request: TransferPublic | None

    @classmethod
    def encode(cls, o: TransferOutcome) -> Json:
        request = None if o.request is None else TransferPublic.encode(o.request)
        return {"ticket": TicketPublic.encode(o.ticket), "request": request}

    def to_domain(self) -> TransferOutcome:
        request = None if self.request is None else self.request.to_domain()
        return TransferOutcome(ticket=self.ticket.to_domain(), request=request)
