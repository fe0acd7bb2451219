"""The API's JSON back into domain objects: the inverse of `cstui.serialize`.

The HTTP store returns the same frozen dataclasses as the SQL store, so the CLI (and later
the console) cannot tell which store it talks to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cstui.domain.model import (
    Agent,
    Article,
    ArticleKind,
    ArticleLang,
    Category,
    Channel,
    ComplaintCause,
    Customer,
    Department,
    Escalation,
    EscalationState,
    Event,
    EventKind,
    GoodsType,
    MatchField,
    Message,
    MessageKind,
    Order,
    Priority,
    ResolutionCode,
    Role,
    SearchHit,
    Shift,
    SlaDue,
    Status,
    Ticket,
    TicketHit,
    TicketMatch,
    Tier,
    TransferRequest,
)

Json = dict[str, Any]


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _when(value: str) -> datetime:
    parsed = when(value)
    assert parsed is not None
    return parsed


def agent(d: Json) -> Agent:
    return Agent(
        id=d["id"],
        name=d["name"],
        role=Role(d["role"]),
        shift=Shift(d["shift"]) if d.get("shift") else None,
        display_name=d.get("display_name"),
        routing_paused=bool(d.get("routing_paused", False)),
    )


def customer(d: Json) -> Customer:
    return Customer(
        id=d["id"],
        name=d["name"],
        tier=Tier(d["tier"]),
        # Masked unless this is the audited reveal's answer (masking them again is harmless).
        phone=d.get("phone") or d.get("phone_masked"),
        email=d.get("email") or d.get("email_masked"),
        address=d.get("address") or d.get("address_masked"),
        annual_spend=float(d.get("annual_spend", 0.0)),
        order_count=int(d.get("order_count", 0)),
        complaint_count=int(d.get("complaint_count", 0)),
        created_at=when(d.get("created_at")),
    )


def order(d: Json | None, customer_id: int) -> Order | None:
    if d is None:
        return None
    return Order(
        number=d["number"],
        customer_id=int(d.get("customer_id", customer_id)),
        amount=float(d.get("amount", 0.0)),
        goods_type=GoodsType(d.get("goods_type", "general")),
        placed_at=_when(d["placed_at"]),
        tracking_no=d.get("tracking_no"),
        logistics_status=d.get("logistics_status"),
    )


def escalation(d: Json) -> Escalation:
    return Escalation(
        id=d["id"],
        ticket_id=d["ticket_id"],
        department=Department(d["department"]),
        reason=d["reason"],
        state=EscalationState(d["state"]),
        green=bool(d["green"]),
        requested_by=d["requested_by"],
        created_at=_when(d["created_at"]),
        due_at=_when(d["due_at"]),
        notes=tuple(d.get("notes", ())),
    )


def message(d: Json) -> Message:
    return Message(
        id=d["id"],
        ticket_id=d["ticket_id"],
        kind=MessageKind(d["kind"]),
        channel=Channel(d["channel"]),
        author=d["author"],
        body=d["text"],
        created_at=_when(d["created_at"]),
    )


def ticket(d: Json) -> Ticket:
    who = customer(d["customer"])
    due = d["due"]
    return Ticket(
        id=d["id"],
        subject=d["subject"],
        status=Status(d["status"]),
        priority=Priority(d["priority"]),
        channel=Channel(d["channel"]),
        category=Category(d["category"]),
        customer=who,
        owner=d["owner"],
        dispatch_count=d["dispatch_count"],
        version=d["version"],
        green_channel=bool(d["green_channel"]),
        created_at=_when(d["created_at"]),
        updated_at=_when(d["updated_at"]),
        due=SlaDue(
            when(due["first_response"]), when(due["next_response"]), when(due["resolution"])
        ),
        order=order(d["order"], who.id),
        escalations=tuple(escalation(e) for e in d["escalations"]),
        links=tuple(d["links"]),
        complaint_cause=ComplaintCause(d["complaint_cause"]) if d["complaint_cause"] else None,
        second_complaint=bool(d["second_complaint"]),
        follow_up_due=when(d["follow_up_due"]),
        resolution_code=ResolutionCode(d["resolution_code"]) if d["resolution_code"] else None,
        resolved_at=when(d["resolved_at"]),
        merged_into=d["merged_into"],
        messages=tuple(message(m) for m in d.get("messages") or ()),
    )


def transfer(d: Json) -> TransferRequest:
    return TransferRequest(
        id=d["id"],
        ticket_id=d["ticket_id"],
        from_owner=d["from"],
        to_agent=d["to"],
        reason=d["reason"],
        requested_by=d["requested_by"],
        created_at=_when(d["created_at"]),
        state=d["state"],
    )


def article(d: Json) -> Article:
    return Article(
        id=d["id"],
        kind=ArticleKind(d["kind"]),
        title=d["title"],
        body=d["body"],
        lang=ArticleLang(d["lang"]),
        tags=tuple(d["tags"]),
        category=Category(d["category"]) if d.get("category") else None,
        author=d.get("author"),
        version=d["version"],
        created_at=_when(d["created_at"]),
        updated_at=_when(d["updated_at"]),
        draft=bool(d.get("draft", False)),
        source_ticket_id=d.get("source_ticket_id"),
    )


def ticket_hit(d: Json) -> TicketHit:
    m = d.get("match")
    match = None
    if m is not None:
        spans = tuple((a, b) for a, b in m["highlights"])
        match = TicketMatch(MatchField(m["field"]), m["text"], spans)
    return TicketHit(ticket(d), match)


def hit(d: Json) -> SearchHit:
    return SearchHit(
        article_id=d["id"],
        title=d["title"],
        snippet=d["snippet_text"],
        kind=ArticleKind(d["kind"]),
        lang=ArticleLang(d["lang"]),
        score=d.get("score"),
        highlights=tuple((a, b) for a, b in d.get("highlights", ())),
        title_highlights=tuple((a, b) for a, b in d.get("title_highlights", ())),
    )


def event(d: Json) -> Event:
    return Event(
        id=d["id"],
        ticket_id=d["ticket_id"],
        actor=d["actor"],
        at=_when(d["at"]),
        kind=EventKind(d["kind"]),
        old=d["old"],
        new=d["new"],
    )
