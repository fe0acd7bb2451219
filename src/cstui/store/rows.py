"""Turning SQL rows into domain objects and SLA clocks into columns, both ways.

Reads use literal SQL with an explicit column list (see `ticket_select`): the queue page is
the hot path, and plain rows plus `datetime.fromisoformat` keep it close to raw sqlite3.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from cstui.domain.escalation import GREEN_CHANNEL_WINDOW
from cstui.domain.model import (
    Agent,
    Category,
    Channel,
    ComplaintCause,
    Customer,
    DeliveryState,
    Department,
    Escalation,
    EscalationState,
    Event,
    EventKind,
    GoodsType,
    Message,
    MessageDelivery,
    MessageFile,
    MessageKind,
    Order,
    Priority,
    ResolutionCode,
    Role,
    Shift,
    SlaDue,
    Status,
    Ticket,
    Tier,
    TransferRequest,
)
from cstui.domain.sla import SlaClock
from cstui.domain.supervision import ticket_green_due
from cstui.store.queue_keys import NO_DUE

if TYPE_CHECKING:
    from sqlalchemy.engine import RowMapping

E = TypeVar("E", bound=Enum)
# a row as read, or the dict it was written from (a string: SQLAlchemy loads with the store)
AnyRow: TypeAlias = "Mapping[str, Any] | RowMapping"

TICKET_COLUMNS = (
    "t.id, t.subject, t.status, t.priority, t.channel, t.category, a.name, t.dispatch_count, "
    "t.version, t.green_rank, t.created_at, t.updated_at, t.first_response_due, "
    "t.next_response_due, t.resolution_due, t.complaint_cause, t.second_complaint, "
    "t.follow_up_due, t.resolution_code, t.resolved_at, t.merged_into, "
    "c.id, c.name, c.tier, c.phone, c.email, c.address, c.annual_spend, c.order_count, "
    "c.complaint_count, c.created_at, "
    "o.number, o.customer_id, o.amount, o.goods_type, o.placed_at, o.tracking_no, "
    "o.logistics_status, t.due_key, t.tier_rank, t.owner_id"
)
# Where each keyset order column sits in a `ticket_select` row, so the next cursor is read
# from the page itself instead of another query.
ORDER_KEY_INDEX = {
    "id": 0,
    "green_rank": 9,
    "follow_up_due": 17,
    "resolved_at": 19,
    "due_key": 38,
    "tier_rank": 39,
    "owner_id": 40,
}
_DATETIME_KEYS = frozenset({"due_key", "follow_up_due", "resolved_at"})


def order_keys(row: Sequence[Any], order: tuple[str, ...]) -> tuple[Any, ...]:
    """The keyset values of one page row, for the cursor that continues after it."""
    return tuple(
        dt(row[ORDER_KEY_INDEX[c]]) if c in _DATETIME_KEYS else row[ORDER_KEY_INDEX[c]]
        for c in order
    )


TICKET_FROM = (
    "FROM tickets t JOIN customers c ON c.id = t.customer_id "
    "LEFT JOIN orders o ON o.id = t.order_id LEFT JOIN agents a ON a.id = t.owner_id"
)

ESCALATION_COLUMNS = (
    "id, ticket_id, department, reason, state, green, requested_by, created_at, due_at, "
    "updated_at, notes"
)
_ESCALATION_E = ", ".join(f"e.{c.strip()}" for c in ESCALATION_COLUMNS.split(","))

# Each ticket's escalations and links ride on its row as JSON arrays (columns 41 and 42):
# a page is then one statement instead of three, and on PostgreSQL each was a round trip.
# Most tickets have neither, and both subqueries are index lookups.
_RELATED = {
    "sqlite": (
        f"(SELECT json_group_array(json_array({_ESCALATION_E})) FROM "
        "(SELECT * FROM escalations x WHERE x.ticket_id = t.id ORDER BY x.id) e), "
        "(SELECT json_group_array(other_id) FROM "
        "(SELECT other_id FROM ticket_links l WHERE l.ticket_id = t.id ORDER BY other_id))"
    ),
    "postgresql": (
        f"(SELECT json_agg(json_build_array({_ESCALATION_E}) ORDER BY e.id)::text "
        "FROM escalations e WHERE e.ticket_id = t.id), "
        "(SELECT json_agg(l.other_id ORDER BY l.other_id)::text "
        "FROM ticket_links l WHERE l.ticket_id = t.id)"
    ),
}


# Column 43: when a green ticket was put on the channel (its 2-hour clock starts there). Only
# green tickets pay for the lookup, and it reads that ticket's events through its index.
_GREEN_MARKED = (
    "CASE WHEN t.green_rank = 0 THEN (SELECT MAX(ev.at) FROM events ev "
    "WHERE ev.ticket_id = t.id AND ev.kind = 'green_channel') END"
)
# Column 44: whom a transfer waiting for approval would hand the ticket to (at most one).
_PENDING_TRANSFER = (
    "(SELECT MAX(tr.to_agent) FROM transfers tr WHERE tr.ticket_id = t.id AND tr.state = 'pending')"
)


def ticket_columns(dialect: str) -> str:
    """What a ticket row selects (`t`, `c`, `o` and `a` joined as in `TICKET_FROM`)."""
    return f"{TICKET_COLUMNS}, {_RELATED[dialect]}, {_GREEN_MARKED}, {_PENDING_TRANSFER}"


def ticket_select(dialect: str) -> str:
    return f"SELECT {ticket_columns(dialect)} {TICKET_FROM}"


def dt(value: Any) -> datetime | None:
    """A stored datetime (ISO text on SQLite, a datetime on PostgreSQL) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        # parsing the offset is 5x cheaper than .replace(tzinfo=UTC) on the hot path
        return datetime.fromisoformat(value + "+00:00")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def dt_set(value: Any) -> datetime:
    """A datetime from a NOT NULL column."""
    found = dt(value)
    if found is None:
        raise ValueError("a required time is missing")
    return found


def _enum_reader(enum: type[E]) -> Callable[[str], E]:
    """A fast lookup from stored value to member (`Enum(value)` costs ~1 µs per call)."""
    return enum._value2member_map_.__getitem__  # type: ignore[return-value]


_STATUS = _enum_reader(Status)
_PRIORITY = _enum_reader(Priority)
_CHANNEL = _enum_reader(Channel)
_CATEGORY = _enum_reader(Category)
_TIER = _enum_reader(Tier)
_GOODS = _enum_reader(GoodsType)


def ticket_from_row(
    r: Sequence[Any],
    messages: tuple[Message, ...] = (),
    green_window: timedelta = GREEN_CHANNEL_WINDOW,
) -> Ticket:
    """A ticket from a `ticket_select` row."""
    created = dt(r[10])
    escalations = _escalations_from_json(r[41])
    green = None
    if r[9] == 0:
        assert created is not None  # created_at is NOT NULL
        green = ticket_green_due(created, dt(r[43]), escalations, green_window)
    customer = Customer(
        r[21], r[22], _TIER(r[23]), r[24], r[25], r[26], r[27], r[28], r[29], dt(r[30])
    )
    order = None
    if r[31] is not None:
        order = Order(r[31], r[32], r[33], _GOODS(r[34]), dt(r[35]), r[36], r[37])  # type: ignore[arg-type]
    return Ticket(
        id=r[0],
        subject=r[1],
        status=_STATUS(r[2]),
        priority=_PRIORITY(r[3]),
        channel=_CHANNEL(r[4]),
        category=_CATEGORY(r[5]),
        owner=r[6],
        dispatch_count=r[7],
        version=r[8],
        green_channel=r[9] == 0,
        created_at=created,  # type: ignore[arg-type]
        updated_at=dt(r[11]),  # type: ignore[arg-type]
        due=SlaDue(dt(r[12]), dt(r[13]), dt(r[14]), green),
        complaint_cause=ComplaintCause(r[15]) if r[15] else None,
        second_complaint=bool(r[16]),
        follow_up_due=dt(r[17]),
        resolution_code=ResolutionCode(r[18]) if r[18] else None,
        resolved_at=dt(r[19]),
        merged_into=r[20],
        customer=customer,
        order=order,
        escalations=escalations,
        links=_links_from_json(r[42]),
        pending_transfer=r[44],
        messages=messages,
    )


def _escalations_from_json(text: str | None) -> tuple[Escalation, ...]:
    if not text or text == "[]":
        return ()
    out = []
    for r in json.loads(text):
        r[7:10] = [_iso_utc(v) for v in r[7:10]]
        out.append(escalation_from_row(r))
    return tuple(out)


def _links_from_json(text: str | None) -> tuple[int, ...]:
    # "[]" (SQLite) or NULL (PostgreSQL) for most tickets: not worth a json.loads
    return tuple(json.loads(text)) if text and text != "[]" else ()


def _iso_utc(value: str | None) -> datetime | None:
    """A datetime inside JSON: naive ISO text on SQLite, with its offset on PostgreSQL."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def escalation_from_row(r: Sequence[Any]) -> Escalation:
    return Escalation(
        id=r[0],
        ticket_id=r[1],
        department=Department(r[2]),
        reason=r[3],
        state=EscalationState(r[4]),
        green=bool(r[5]),
        requested_by=r[6],
        created_at=dt_set(r[7]),
        due_at=dt_set(r[8]),
        updated_at=dt(r[9]),  # type: ignore[arg-type]
        notes=tuple(json.loads(r[10] or "[]")),
    )


MESSAGE_COLUMNS = "id, ticket_id, kind, channel, author, body, created_at"


def message_from_row(
    r: Sequence[Any],
    delivery: MessageDelivery | None = None,
    attachments: tuple[MessageFile, ...] = (),
) -> Message:
    return Message(
        id=r[0],
        ticket_id=r[1],
        kind=MessageKind(r[2]),
        channel=Channel(r[3]),
        author=r[4],
        body=r[5],
        created_at=dt(r[6]),  # type: ignore[arg-type]
        delivery=delivery,
        attachments=attachments,
    )


# A thread's replies' deliveries and its messages' files: one query each for the whole
# ticket (its messages' ids, whichever ticket a merge left the delivery or file on).
THREAD_DELIVERIES = (
    "SELECT message_id, state, error, attempts, sent_at FROM deliveries"
    " WHERE kind = 'reply' AND message_id IN (SELECT id FROM messages WHERE ticket_id = :t)"
    " ORDER BY id"
)
THREAD_FILES = (
    "SELECT message_id, id, filename, content_type, size, sha256 FROM attachments"
    " WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = :t) ORDER BY id"
)


# The same for one message (a reply just written, with its queued delivery and files).
MESSAGE_DELIVERY = (
    "SELECT message_id, state, error, attempts, sent_at FROM deliveries"
    " WHERE kind = 'reply' AND message_id = :m ORDER BY id DESC LIMIT 1"
)
MESSAGE_FILES = (
    "SELECT message_id, id, filename, content_type, size, sha256 FROM attachments"
    " WHERE message_id = :m ORDER BY id"
)


def message_delivery_from_row(r: Sequence[Any]) -> MessageDelivery:
    """From THREAD_DELIVERIES' columns after the message id."""
    return MessageDelivery(state=DeliveryState(r[1]), error=r[2], attempts=r[3], sent_at=dt(r[4]))


def message_file_from_row(r: Sequence[Any]) -> MessageFile:
    """From THREAD_FILES' columns after the message id."""
    return MessageFile(id=r[1], filename=r[2], content_type=r[3], size=r[4], sha256=r[5])


TRANSFER_COLUMNS = "id, ticket_id, from_owner, to_agent, reason, requested_by, created_at, state"


def transfer_from_row(r: Sequence[Any]) -> TransferRequest:
    return TransferRequest(
        id=r[0],
        ticket_id=r[1],
        from_owner=r[2],
        to_agent=r[3],
        reason=r[4],
        requested_by=r[5],
        created_at=dt_set(r[6]),
        state=r[7],  # type: ignore[arg-type]
    )


EVENT_COLUMNS = "id, ticket_id, actor, at, kind, old, new"


def event_from_row(r: Sequence[Any]) -> Event:
    return Event(
        id=r[0],
        ticket_id=r[1],
        actor=r[2],
        at=dt(r[3]),  # type: ignore[arg-type]
        kind=EventKind(r[4]),
        old=json.loads(r[5]) if r[5] else None,
        new=json.loads(r[6]) if r[6] else None,
    )


def agent_from_mapping(m: AnyRow) -> Agent:
    return Agent(
        id=m["id"],
        name=m["name"],
        role=Role(m["role"]),
        shift=Shift(m["shift"]) if m["shift"] else None,
        display_name=m["display_name"],
        routing_paused=bool(m["routing_paused"]),
    )


def customer_from_mapping(m: AnyRow) -> Customer:
    return Customer(
        id=m["id"],
        name=m["name"],
        tier=Tier(m["tier"]),
        phone=m["phone"],
        email=m["email"],
        address=m["address"],
        annual_spend=m["annual_spend"],
        order_count=m["order_count"],
        complaint_count=m["complaint_count"],
        created_at=dt(m["created_at"]),
    )


def order_from_mapping(m: AnyRow) -> Order:
    return Order(
        number=m["number"],
        customer_id=m["customer_id"],
        amount=m["amount"],
        goods_type=GoodsType(m["goods_type"]),
        placed_at=dt(m["placed_at"]),  # type: ignore[arg-type]
        tracking_no=m["tracking_no"],
        logistics_status=m["logistics_status"],
    )


# -- the SLA clock in columns -------------------------------------------------------------


def _secs(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _delta(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def clock_columns(clock: SlaClock) -> dict[str, Any]:
    """The ticket columns that hold a clock, including the queue's nearest-deadline key."""
    state = {
        "remaining": None if clock.remaining is None else [_secs(r) for r in clock.remaining],
        "paused_total": clock.paused_total.total_seconds(),
    }
    return {
        "first_response_due": clock.due.first_response,
        "next_response_due": clock.due.next_response,
        "resolution_due": clock.due.resolution,
        "due_key": clock.due.nearest() or NO_DUE,
        "sla_paused_at": clock.paused_at,
        "sla_remaining": json.dumps(state),
    }


def clock_from_row(m: AnyRow) -> SlaClock:
    state = json.loads(m["sla_remaining"] or "{}")
    remaining = state.get("remaining")
    return SlaClock(
        due=SlaDue(
            dt(m["first_response_due"]), dt(m["next_response_due"]), dt(m["resolution_due"])
        ),
        paused_at=dt(m["sla_paused_at"]),
        remaining=None if remaining is None else tuple(_delta(r) for r in remaining),  # type: ignore[arg-type]
        paused_total=timedelta(seconds=state.get("paused_total", 0.0)),
    )
