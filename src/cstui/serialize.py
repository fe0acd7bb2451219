"""Domain objects as JSON-ready dicts: the shape scripts and the HTTP API read.

CONTRACT.md fixes the minimum a ticket carries; everything here is additive to that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cstui.domain.model import (
    Agent,
    Article,
    Customer,
    Escalation,
    Message,
    Order,
    SearchHit,
    Ticket,
    TicketHit,
    TransferRequest,
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def customer_dict(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "tier": c.tier.value,
        "annual_spend": round(c.annual_spend, 2),
        "order_count": c.order_count,
        "complaint_count": c.complaint_count,
    }


def order_dict(o: Order | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {
        "number": o.number,
        "tracking_no": o.tracking_no,
        "logistics_status": o.logistics_status,
        "amount": o.amount,
        "goods_type": o.goods_type.value,
        "placed_at": iso(o.placed_at),
    }


def escalation_dict(e: Escalation) -> dict[str, Any]:
    return {
        "id": e.id,
        "ticket_id": e.ticket_id,
        "department": e.department.value,
        "reason": e.reason,
        "state": e.state.value,
        "green": e.green,
        "requested_by": e.requested_by,
        "created_at": iso(e.created_at),
        "due_at": iso(e.due_at),
        "notes": list(e.notes),
    }


def message_dict(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "ticket_id": m.ticket_id,
        "kind": m.kind.value,
        "channel": m.channel.value,
        "author": m.author,
        "text": m.body,
        "created_at": iso(m.created_at),
    }


def ticket_dict(t: Ticket, *, messages: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
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
        "customer": customer_dict(t.customer),
        "order": order_dict(t.order),
        "due": {
            "first_response": iso(t.due.first_response),
            "next_response": iso(t.due.next_response),
            "resolution": iso(t.due.resolution),
        },
        "escalations": [escalation_dict(e) for e in t.escalations],
        "links": list(t.links),
        "complaint_cause": t.complaint_cause.value if t.complaint_cause else None,
        "second_complaint": t.second_complaint,
        "follow_up_due": iso(t.follow_up_due),
        "resolution_code": t.resolution_code.value if t.resolution_code else None,
        "resolved_at": iso(t.resolved_at),
        "merged_into": t.merged_into,
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
    }
    if messages:
        out["messages"] = [message_dict(m) for m in t.messages]
    return out


def ticket_hit_dict(h: TicketHit) -> dict[str, Any]:
    """A ticket search result: the ticket, and `match` (where the words were found, the
    text shown, `highlights` as [start, end] spans into it), null for filters only."""
    m = h.match
    match = None
    if m is not None:
        spans = [list(span) for span in m.highlights]
        match = {"field": m.field.value, "text": m.text, "highlights": spans}
    return {**ticket_dict(h.ticket), "match": match}


def agent_dict(a: Agent) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "role": a.role.value,
        "shift": a.shift.value if a.shift else None,
        "display_name": a.display_name,
        "routing_paused": a.routing_paused,
    }


def transfer_dict(r: TransferRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "ticket_id": r.ticket_id,
        "from": r.from_owner,
        "to": r.to_agent,
        "reason": r.reason,
        "requested_by": r.requested_by,
        "state": r.state,
        "created_at": iso(r.created_at),
    }


def article_dict(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind.value,
        "title": a.title,
        "body": a.body,
        "lang": a.lang.value,
        "tags": list(a.tags),
        "category": a.category.value if a.category else None,
        "author": a.author,
        "version": a.version,
        "created_at": iso(a.created_at),
        "updated_at": iso(a.updated_at),
        "draft": a.draft,
        "source_ticket_id": a.source_ticket_id,
    }


def hit_dict(h: SearchHit) -> dict[str, Any]:
    """A search hit: `snippet` marks matches with [ ]; `highlights` index `snippet_text`."""
    return {
        "id": h.article_id,
        "title": h.title,
        "snippet": h.marked(),
        "kind": h.kind.value,
        "lang": h.lang.value,
        "score": None if h.score is None else round(h.score, 6),
        "snippet_text": h.snippet,
        "highlights": [list(span) for span in h.highlights],
        "title_highlights": [list(span) for span in h.title_highlights],
    }
