"""The SQL schema, as SQLModel tables; the same definitions serve SQLite and PostgreSQL.

Queue order is (green_rank, due_key, tier_rank, id), all ascending and never NULL, so a
keyset cursor is one row-value comparison. Each queue view has a partial index whose
predicate is written exactly as the view's WHERE clause (see `views.py`): SQLite only uses a
partial index when the query repeats its predicate literally. Flags that views filter on
are small integers (0/1) so the same literal predicate works on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, String, Text, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 7  # bumped with every alembic revision; the store refuses newer databases

NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)  # sorts after every real deadline


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes: ISO text on SQLite (sorts, parses fast), timestamptz elsewhere."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None).isoformat(timespec="microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value + "+00:00")
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


def _ts_required() -> Any:
    return Field(sa_column=Column(UtcDateTime(), nullable=False))


class AgentRow(SQLModel, table=True):
    __tablename__ = "agents"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    display_name: str | None = None
    role: str = Field(max_length=16)
    shift: str | None = Field(default=None, max_length=16)
    routing_paused: int = 0
    token_hash: str | None = Field(default=None, index=True, max_length=128)
    created_at: datetime = _ts_required()


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customers"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    phone: str | None = Field(default=None, index=True)
    email: str | None = None
    address: str | None = None
    tier: str = Field(max_length=24)
    tier_reasons: str = ""
    annual_spend: float = 0.0
    order_count: int = 0
    complaint_count: int = 0
    created_at: datetime = _ts_required()


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=40)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    amount: float
    goods_type: str = Field(max_length=16)
    placed_at: datetime = _ts_required()
    tracking_no: str | None = Field(default=None, index=True, max_length=40)
    logistics_status: str | None = Field(default=None, max_length=24)


class TicketRow(SQLModel, table=True):
    __tablename__ = "tickets"
    id: int | None = Field(default=None, primary_key=True)
    subject: str
    status: str = Field(max_length=16)
    priority: str = Field(max_length=8)
    channel: str = Field(max_length=8)
    category: str = Field(max_length=16)
    customer_id: int = Field(foreign_key="customers.id")
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="agents.id")
    dispatch_count: int = 0
    version: int = 1
    tier: str = Field(max_length=24)  # the customer's tier when last ranked
    # queue keys (see module docstring)
    active: int = 1
    green_rank: int = 1  # 0 on the green channel
    due_key: datetime = _ts_required()  # the nearest SLA deadline, NO_DUE when none
    tier_rank: int = 6
    open_escalations: int = 0
    # every SLA deadline separately, and the paused clock
    first_response_due: datetime | None = _ts()
    next_response_due: datetime | None = _ts()
    resolution_due: datetime | None = _ts()
    sla_paused_at: datetime | None = _ts()
    sla_remaining: str | None = None  # JSON: business seconds left per deadline while paused
    first_responded_at: datetime | None = _ts()
    complaint_cause: str | None = Field(default=None, max_length=24)
    second_complaint: int = 0
    matter_key: str | None = Field(default=None, max_length=80)
    follow_up_due: datetime | None = _ts()
    resolution_code: str | None = Field(default=None, max_length=24)
    resolved_at: datetime | None = _ts()
    merged_into: int | None = None
    created_at: datetime = _ts_required()
    updated_at: datetime = _ts_required()
    last_activity_at: datetime = _ts_required()


class MessageRow(SQLModel, table=True):
    __tablename__ = "messages"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    kind: str = Field(max_length=12)
    channel: str = Field(max_length=8)
    author: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts_required()
    idempotency_key: str | None = Field(default=None, unique=True, max_length=128)


class EscalationRow(SQLModel, table=True):
    __tablename__ = "escalations"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    department: str = Field(max_length=16)
    reason: str
    state: str = Field(max_length=16)
    green: int = 0
    requested_by: str
    created_at: datetime = _ts_required()
    due_at: datetime = _ts_required()
    updated_at: datetime | None = _ts()
    notes: str = "[]"  # JSON list of "who: text" from both sides


class TransferRow(SQLModel, table=True):
    __tablename__ = "transfers"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    from_owner: str | None = None
    to_agent: str
    reason: str
    requested_by: str
    state: str = Field(default="pending", max_length=12)
    decided_by: str | None = None
    created_at: datetime = _ts_required()
    decided_at: datetime | None = _ts()


class LinkRow(SQLModel, table=True):
    __tablename__ = "ticket_links"
    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True)
    other_id: int = Field(foreign_key="tickets.id", primary_key=True)


class EventRow(SQLModel, table=True):
    """Append-only: the store never updates or deletes a row here."""

    __tablename__ = "events"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = None
    actor: str | None = None
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    kind: str = Field(max_length=24)
    old: str | None = None  # JSON
    new: str | None = None  # JSON


class PresenceRow(SQLModel, table=True):
    """Which ticket each agent has open now (a heartbeat, not history)."""

    __tablename__ = "presence"
    agent_id: int = Field(foreign_key="agents.id", primary_key=True)
    ticket_id: int | None = Field(default=None, index=True)
    seen_at: datetime = _ts_required()


class IdempotencyRow(SQLModel, table=True):
    """A POST's response kept under its Idempotency-Key, so a retry replays it.

    Kept in the store (not in a server's memory) so that every server process sharing a
    PostgreSQL database replays the same response. `status` is NULL while the first request
    is still running. Like presence, it is not history and stays out of exports.
    """

    __tablename__ = "idempotency_keys"
    agent_id: int = Field(foreign_key="agents.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=128)
    fingerprint: str = Field(max_length=64)
    status: int | None = None
    body: str | None = None  # JSON
    created_at: datetime = _ts_required()


class MetaRow(SQLModel, table=True):
    """Key/value facts about the store itself (schema version, time zone)."""

    __tablename__ = "cstui_meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str


# One partial index per queue view; the predicates are the views' own WHERE clauses.
QUEUE_ORDER = ("green_rank", "due_key", "tier_rank", "id")
VIP_ORDER = ("green_rank", "due_key", "id")
VIEW_PREDICATES: dict[str, str] = {
    "unassigned": "active = 1 AND owner_id IS NULL",
    "all-open": "active = 1",
    "vip": "active = 1 AND tier_rank = 0",
    "escalated": "active = 1 AND open_escalations > 0",
    "green": "active = 1 AND green_rank = 0",
    "mine": "active = 1",
}


def _partial(name: str, cols: tuple[str, ...], predicate: str) -> Index:
    clause = text(predicate)
    columns = [TicketRow.__table__.c[c] for c in cols]  # type: ignore[attr-defined]
    return Index(name, *columns, sqlite_where=clause, postgresql_where=clause)


QUEUE_INDEXES = [
    _partial("ix_q_unassigned", QUEUE_ORDER, VIEW_PREDICATES["unassigned"]),
    _partial("ix_q_open", QUEUE_ORDER, VIEW_PREDICATES["all-open"]),
    # tier_rank is fixed by the predicate, so it is no sort key here: with it, SQLite sorted
    # each run of equal deadlines in a temp B-tree and a deep VIP page took 86 ms.
    _partial("ix_q_vip", VIP_ORDER, VIEW_PREDICATES["vip"]),
    _partial("ix_q_escalated", QUEUE_ORDER, VIEW_PREDICATES["escalated"]),
    # Owned tickets only, so the unassigned view takes its own smaller index.
    _partial("ix_q_owner", ("owner_id", *QUEUE_ORDER), "active = 1 AND owner_id IS NOT NULL"),
    _partial("ix_q_sla", ("due_key", "id"), "active = 1"),
    _partial("ix_q_followup", ("follow_up_due", "id"), "follow_up_due IS NOT NULL"),
    _partial("ix_q_closed", ("resolved_at", "id"), "active = 0"),
    Index("ix_events_ticket", EventRow.__table__.c.ticket_id, EventRow.__table__.c.id),  # type: ignore[attr-defined]
    Index(
        "ix_tickets_customer_activity",
        TicketRow.__table__.c.customer_id,  # type: ignore[attr-defined]
        TicketRow.__table__.c.last_activity_at,  # type: ignore[attr-defined]
    ),
]

metadata = SQLModel.metadata


class ArticleRow(SQLModel, table=True):
    """A knowledge-base article. Its search index is not a model: it depends on the database
    (an FTS5 table on SQLite, a tsvector table on PostgreSQL) and `store/kb.py` keeps it."""

    __tablename__ = "articles"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    title: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    lang: str = Field(max_length=8)
    tags: str = "[]"  # JSON list of strings
    category: str | None = Field(default=None, max_length=16)
    author: str | None = None
    version: int = 1
    created_at: datetime = _ts_required()
    updated_at: datetime = _ts_required()
    # 1 while a captured article waits for a supervisor: searches leave it out (0/1 like the
    # tickets' flags); the search index carries the same flag, see `store/kb.py`.
    draft: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    source_ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
