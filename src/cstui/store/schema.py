"""The SQL schema as SQLAlchemy Core tables; the same definitions serve SQLite and PostgreSQL.

The store speaks Core only (no ORM), so the tables are plain `Table`s: declaring them as
ORM or SQLModel classes cost the console ~10 MB and ~120 ms of imports for nothing.

Queue order is (green_rank, due_key, tier_rank, id), all ascending and never NULL, so a
keyset cursor is one row-value comparison. Each queue view has a partial index whose
predicate is written exactly as the view's WHERE clause (see `views.py`): SQLite only uses a
partial index when the query repeats its predicate literally. Flags that views filter on
are small integers (0/1) so the same literal predicate works on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator

from cstui.domain.figures import COLUMNS as FIGURE_COLUMNS
from cstui.store.queue_keys import NO_DUE as NO_DUE
from cstui.store.queue_keys import QUEUE_ORDER, VIEW_PREDICATES, VIP_ORDER


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


metadata = MetaData()


def _ts(name: str, *, nullable: bool = True, index: bool = False) -> Column[Any]:
    return Column(name, UtcDateTime(), nullable=nullable, index=index)


def _str(name: str, length: int | None = None, *, nullable: bool = False, **kw: Any) -> Column[Any]:
    return Column(name, String(length), nullable=nullable, **kw)


def _int(name: str, default: int, **kw: Any) -> Column[Any]:
    """A NOT NULL integer with a default: counters, 0/1 flags, ranks."""
    return Column(name, Integer(), nullable=False, default=default, **kw)


def _id() -> Column[Any]:
    return Column("id", Integer(), primary_key=True)


def _ref(name: str, target: str, *, nullable: bool = False, **kw: Any) -> Column[Any]:
    return Column(name, Integer(), ForeignKey(target), nullable=nullable, **kw)


AGENTS = Table(
    "agents",
    metadata,
    _id(),
    _str("name", 64, unique=True),
    _str("display_name", nullable=True),
    _str("role", 16),
    _str("shift", 16, nullable=True),
    _int("routing_paused", 0),
    _str("token_hash", 128, nullable=True, index=True),
    _ts("created_at", nullable=False),
)

CUSTOMERS = Table(
    "customers",
    metadata,
    _id(),
    _str("name"),
    _str("phone", nullable=True, index=True),
    _str("email", nullable=True, index=True),  # lower-case: mail finds its sender by it
    _str("address", nullable=True),
    _str("tier", 24),
    _str("tier_reasons", default=""),
    Column("annual_spend", Float(), nullable=False, default=0.0),
    _int("order_count", 0),
    _int("complaint_count", 0),
    _ts("created_at", nullable=False),
    # Where a customer came from when imported from another helpdesk ("zendesk:123"):
    # importing the same export again finds them instead of adding them twice.
    _str("external_id", 255, nullable=True),
    Index("uq_customers_external", "external_id", unique=True),
)

ORDERS = Table(
    "orders",
    metadata,
    _id(),
    _str("number", 40, unique=True),
    _ref("customer_id", "customers.id", index=True),
    Column("amount", Float(), nullable=False),
    _str("goods_type", 16),
    _ts("placed_at", nullable=False),
    _str("tracking_no", 40, nullable=True, index=True),
    _str("logistics_status", 24, nullable=True),
)

TICKETS = Table(
    "tickets",
    metadata,
    _id(),
    _str("subject"),
    _str("status", 16),
    _str("priority", 8),
    _str("channel", 8),
    _str("category", 16),
    _ref("customer_id", "customers.id"),
    _ref("order_id", "orders.id", nullable=True, index=True),
    _ref("owner_id", "agents.id", nullable=True),
    _int("dispatch_count", 0),
    _int("version", 1),
    _str("tier", 24),  # the customer's tier when last ranked
    # queue keys (see module docstring)
    _int("active", 1),
    _int("green_rank", 1),  # 0 on the green channel
    _ts("due_key", nullable=False),  # the nearest SLA deadline, NO_DUE when none
    _int("tier_rank", 6),
    _int("open_escalations", 0),
    # every SLA deadline separately, and the paused clock
    _ts("first_response_due"),
    _ts("next_response_due"),
    _ts("resolution_due"),
    _ts("sla_paused_at"),
    _str("sla_remaining", nullable=True),  # JSON: business seconds left per deadline
    _ts("first_responded_at"),
    _str("complaint_cause", 24, nullable=True),
    _int("second_complaint", 0),
    _str("matter_key", 80, nullable=True),
    _ts("follow_up_due"),
    _str("resolution_code", 24, nullable=True),
    _ts("resolved_at"),
    Column("merged_into", Integer(), nullable=True),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("last_activity_at", nullable=False),
    # The ticket's id in the helpdesk it was imported from ("zendesk:123", "csv:T-9"):
    # unique, so an import run twice adds nothing the second time.
    _str("external_id", 255, nullable=True),
    Index("uq_tickets_external", "external_id", unique=True),
)

MESSAGES = Table(
    "messages",
    metadata,
    _id(),
    _ref("ticket_id", "tickets.id", index=True),
    _str("kind", 12),
    _str("channel", 8),
    _str("author"),
    Column("body", Text(), nullable=False),
    _ts("created_at", nullable=False),
    _str("idempotency_key", 128, nullable=True, unique=True),
    # A customer's message as its channel names it (an e-mail's Message-ID, a chat
    # platform's message id): the same message delivered twice is stored once.
    _str("external_id", 255, nullable=True),
    _str("address", nullable=True),  # the customer's address it came from
    Column("full_body", Text(), nullable=True),  # the original, when `body` was trimmed
    # Mail no person wrote (`AutoKind`: an auto-reply): never acknowledged or surveyed.
    _str("auto", 12, nullable=True),
    # A unique index rather than a constraint: adding it to SQLite's existing table needs
    # no rebuild of the table (a rebuild wrote its clauses in a varying order).
    Index("uq_messages_external", "channel", "external_id", unique=True),
    # A chat user writing again in a new conversation is found by their platform id.
    Index("ix_messages_address", "channel", "address"),
)

# A chat/app/social conversation (the platform's id) and the ticket it threads into.
CONVERSATIONS = Table(
    "conversations",
    metadata,
    _str("channel", 8),
    _str("external_id", 255),
    _ref("ticket_id", "tickets.id", index=True),
    PrimaryKeyConstraint("channel", "external_id"),
)

# The outbox: every reply, acknowledgement and survey to deliver, queued in the transaction
# that made it, so a crash never loses one and never sends one that was not stored.
# `dedupe_key` makes "once" a constraint ("survey:<ticket>", "reply:<message>"); a worker
# claims a row by moving `lease_until`, and `external_id` (our Message-ID) stays the same on
# every attempt.
DELIVERIES = Table(
    "deliveries",
    metadata,
    _id(),
    _ref("ticket_id", "tickets.id", index=True),
    _ref("message_id", "messages.id", nullable=True, index=True),
    _str("kind", 12),
    _str("channel", 8),
    _str("recipient"),
    _str("state", 12),
    _int("attempts", 0),
    _ts("next_attempt_at", nullable=False),
    _ts("lease_until"),
    _str("error", nullable=True),
    _str("external_id", 255, unique=True),
    _str("dedupe_key", 128, unique=True),
    _ts("created_at", nullable=False),
    _ts("sent_at"),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
)

# Files that came with a message or went with a reply, kept in the database on both
# backends: every server sharing the store serves them, and a backup holds them.
ATTACHMENTS = Table(
    "attachments",
    metadata,
    _id(),
    _ref("ticket_id", "tickets.id", index=True),
    _ref("message_id", "messages.id", nullable=True, index=True),
    _str("filename"),
    _str("content_type", 128),
    Column("size", Integer(), nullable=False),
    _str("sha256", 64),
    Column("data", LargeBinary(), nullable=False),
    _ts("created_at", nullable=False),
)

# Where each polled mailbox is: the IMAP UIDVALIDITY and the last UID ingested.
MAILBOX_CURSORS = Table(
    "mailbox_cursors",
    metadata,
    _str("name", 128, primary_key=True),
    Column("uidvalidity", BigInteger(), nullable=False),
    Column("last_uid", BigInteger(), nullable=False),
    _ts("updated_at", nullable=False),
)

ESCALATIONS = Table(
    "escalations",
    metadata,
    _id(),
    _ref("ticket_id", "tickets.id", index=True),
    _str("department", 16),
    _str("reason"),
    _str("state", 16),
    _int("green", 0),
    _str("requested_by"),
    _ts("created_at", nullable=False),
    _ts("due_at", nullable=False),
    _ts("updated_at"),
    _str("notes", default="[]"),  # JSON list of "who: text" from both sides
)

TRANSFERS = Table(
    "transfers",
    metadata,
    _id(),
    _ref("ticket_id", "tickets.id", index=True),
    _str("from_owner", nullable=True),
    _str("to_agent"),
    _str("reason"),
    _str("requested_by"),
    _str("state", 12, default="pending"),
    _str("decided_by", nullable=True),
    _ts("created_at", nullable=False),
    _ts("decided_at"),
)

LINKS = Table(
    "ticket_links",
    metadata,
    Column("ticket_id", Integer(), ForeignKey("tickets.id"), primary_key=True),
    Column("other_id", Integer(), ForeignKey("tickets.id"), primary_key=True),
)

# Append-only: the store never updates or deletes a row here (triggers refuse it too).
EVENTS = Table(
    "events",
    metadata,
    _id(),
    Column("ticket_id", Integer(), nullable=True),
    _str("actor", nullable=True),
    _ts("at", nullable=False, index=True),
    _str("kind", 24),
    _str("old", nullable=True),  # JSON
    _str("new", nullable=True),  # JSON
)

# The quality figures kept as the log grows (`store/figures.py`, `domain/figures.py`), all
# rebuilt from the log by `cstui metrics rebuild`: each ticket's facts as replayed so far
# (`metrics.TicketFacts`; `last_at`, `last_id`: the last figure event folded in) ...
METRIC_TICKETS = Table(
    "metric_tickets",
    metadata,
    Column("ticket_id", Integer(), primary_key=True, autoincrement=False),
    _ts("created_at", index=True),
    _int("basic", 0),
    _int("complaint", 0),
    _int("second_complaint", 0),
    _str("owners", default="[]"),  # JSON list of names
    _str("owner", nullable=True),
    _ts("first_reply_at"),
    _int("escalated", 0),
    _int("reopened", 0),
    _ts("resolved_at", index=True),
    _str("resolver", nullable=True),
    _int("merged", 0),
    _ts("last_at", nullable=False),
    Column("last_id", BigInteger(), nullable=False),
)
# ... each valid CSAT answer, credited to its owner ...
METRIC_ANSWERS = Table(
    "metric_answers",
    metadata,
    Column("ticket_id", Integer(), primary_key=True, autoincrement=False),
    Column("event_id", BigInteger(), primary_key=True, autoincrement=False),
    _ts("at", nullable=False, index=True),
    Column("score", Integer(), nullable=False),
    _str("owner", nullable=True),
)
# ... and per UTC hour and credited agent ('' for none), what they add (`figures.COLUMNS`).
METRIC_HOURS = Table(
    "metric_hours",
    metadata,
    Column("hour", BigInteger(), primary_key=True, autoincrement=False),
    _str("agent", primary_key=True),
    *(Column(name, BigInteger(), nullable=False, server_default="0") for name in FIGURE_COLUMNS),
)

# Which ticket each agent has open now (a heartbeat, not history).
PRESENCE = Table(
    "presence",
    metadata,
    Column("agent_id", Integer(), ForeignKey("agents.id"), primary_key=True),
    Column("ticket_id", Integer(), nullable=True, index=True),
    _ts("seen_at", nullable=False),
)

# A POST's response kept under its Idempotency-Key, so a retry replays it. Kept in the store
# (not in a server's memory) so that every server process sharing a PostgreSQL database
# replays the same response. `status` is NULL while the first request is still running.
# Like presence, it is not history and stays out of exports.
IDEMPOTENCY_KEYS = Table(
    "idempotency_keys",
    metadata,
    Column("agent_id", Integer(), ForeignKey("agents.id"), primary_key=True),
    _str("key", 128, primary_key=True),
    _str("fingerprint", 64),
    Column("status", Integer(), nullable=True),
    _str("body", nullable=True),  # JSON
    _ts("created_at", nullable=False),
)

# Each automation's firing, once per (rule, ticket, deadline instance): the unique key is
# what makes a sweep that crashed, or two sweepers at once, act once (`store/automations`).
FIRINGS = Table(
    "firings",
    metadata,
    _id(),
    _str("rule", 32),
    _ref("ticket_id", "tickets.id"),
    _str("instance", 80),
    _ts("due_at", nullable=False),
    _ts("fired_at", nullable=False),
    Index("uq_firings_key", "rule", "ticket_id", "instance", unique=True),
    Index("ix_firings_fired", "fired_at", "rule"),  # the monitor's "fired today" count
    Index("ix_firings_ticket", "ticket_id"),  # a sweep's "already fired?" by its tickets
)

# An agent's notifications (an automation told them something); read state kept per row.
NOTIFICATIONS = Table(
    "notifications",
    metadata,
    _id(),
    _ref("agent_id", "agents.id"),
    Column("ticket_id", Integer(), nullable=True),
    _str("rule", 32),
    _str("urgency", 8),
    _str("text_key", 64),
    _str("params", default="{}"),  # JSON object of strings
    _ts("created_at", nullable=False),
    _ts("read_at"),
    Index("ix_notifications_agent", "agent_id", "id"),
)

# Where a sweep is: the last event the event rules have read (key "events").
AUTOMATION_STATE = Table(
    "automation_state",
    metadata,
    _str("key", 32, primary_key=True),
    Column("position", BigInteger(), nullable=False),
    _ts("updated_at", nullable=False),
)

# Key/value facts about the store itself (schema version, time zone).
META = Table(
    "cstui_meta",
    metadata,
    _str("key", 64, primary_key=True),
    _str("value"),
)


# The partial indexes' predicates for PostgreSQL: `postgresql_where=` would import the
# PostgreSQL dialect (~16 ms) on a SQLite store too, so `make_engine` adds them for a
# PostgreSQL store (only DDL and alembic's comparison read them).
_PG_WHERE: list[tuple[Index, TextClause]] = []


def partial_index(name: str, *columns: Column[Any], where: TextClause) -> Index:
    """An index over the rows matching `where`, on SQLite and PostgreSQL alike."""
    index = Index(name, *columns, sqlite_where=where)
    _PG_WHERE.append((index, where))
    return index


def postgresql_predicates() -> None:
    """Give the partial indexes their PostgreSQL predicates (again is harmless)."""
    for index, where in _PG_WHERE:
        index.dialect_kwargs["postgresql_where"] = where


def _partial(name: str, cols: tuple[str, ...], predicate: str) -> Index:
    return partial_index(name, *(TICKETS.c[c] for c in cols), where=text(predicate))


# One partial index per queue view; its predicate is the view's own WHERE clause
# (`queue_keys.py`, read by `views.py` too).
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
    Index("ix_events_ticket", EVENTS.c.ticket_id, EVENTS.c.id),
    Index("ix_tickets_customer_activity", TICKETS.c.customer_id, TICKETS.c.last_activity_at),
]

# What a sweep looks for, each by its own partial index (the predicates are repeated
# literally by `store/automations/sweep.py`, as SQLite needs): no sweep reads every ticket.
OPEN_ESCALATION = "state IN ('requested', 'acknowledged')"
AUTOMATION_PREDICATES: dict[str, str] = {
    "first": "active = 1 AND first_response_due IS NOT NULL",
    "next": "active = 1 AND next_response_due IS NOT NULL",
    "vip_resolution": "active = 1 AND tier_rank = 0 AND resolution_due IS NOT NULL",
    "unowned": VIEW_PREDICATES["unassigned"],
    "follow_up": "follow_up_due IS NOT NULL",
    "unread": "read_at IS NULL",
    "escalation": OPEN_ESCALATION,
}


def _partial_on(table: Table, name: str, cols: tuple[str, ...], predicate: str) -> Index:
    return partial_index(name, *(table.c[c] for c in cols), where=text(predicate))


AUTOMATION_INDEXES = [
    # by waiting time: `ix_q_unassigned` is ordered for the queue, not by created_at
    _partial("ix_auto_unowned", ("created_at", "id"), AUTOMATION_PREDICATES["unowned"]),
    _partial("ix_auto_first", ("first_response_due", "id"), AUTOMATION_PREDICATES["first"]),
    _partial("ix_auto_next", ("next_response_due", "id"), AUTOMATION_PREDICATES["next"]),
    _partial(
        "ix_auto_vip_resolution", ("resolution_due", "id"), AUTOMATION_PREDICATES["vip_resolution"]
    ),
    _partial_on(ESCALATIONS, "ix_auto_esc_due", ("due_at", "id"), OPEN_ESCALATION),
    _partial_on(ESCALATIONS, "ix_auto_esc_open", ("created_at", "id"), OPEN_ESCALATION),
    _partial_on(
        NOTIFICATIONS,
        "ix_notifications_unread",
        ("agent_id", "id"),
        AUTOMATION_PREDICATES["unread"],
    ),
]

# A knowledge-base article. Its search index is no table here: it depends on the database
# (an FTS5 table on SQLite, a tsvector table on PostgreSQL) and `store/kb/index.py` keeps it.
ARTICLES = Table(
    "articles",
    metadata,
    _id(),
    _str("kind", 16),
    _str("title"),
    Column("body", Text(), nullable=False),
    _str("lang", 8),
    _str("tags", default="[]"),  # JSON list of strings
    _str("category", 16, nullable=True),
    _str("author", nullable=True),
    _int("version", 1),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    # 1 while a captured article waits for a supervisor: searches leave it out (0/1 like the
    # tickets' flags); the search index carries the same flag, see `store/kb/index.py`.
    _int("draft", 0, server_default="0"),
    _ref("source_ticket_id", "tickets.id", nullable=True),
)
