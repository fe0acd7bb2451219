"""The SQL store (SQLAlchemy Core; SQLite by default, PostgreSQL for teams).

Every write is one transaction that re-reads the ticket, applies the domain rules, updates
the row only if its version is still the one read (optimistic concurrency) and appends its
events. Taking is a single conditional UPDATE (`... WHERE owner_id IS NULL`), so two agents
can never both own a ticket, whatever the interleaving.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError, OperationalError

from cstui.domain import complaints, escalation, events, ownership, rights, sla
from cstui.domain.model import (
    ACTIVE_STATUSES,
    TIER_RANK,
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
    Message,
    MessageKind,
    Order,
    Page,
    Priority,
    ResolutionCode,
    Role,
    SearchHit,
    Shift,
    Status,
    Ticket,
    TicketHit,
    Tier,
    TransferRequest,
)
from cstui.domain.rules import Rules
from cstui.domain.tiers import CustomerStats, classify, spend_cutoff
from cstui.errors import BadInput, Conflict, NotFound, StaleVersion, Unavailable
from cstui.store import kb, ticket_index
from cstui.store import rows as R
from cstui.store.base import (
    AgentLoad,
    GreenTicket,
    NewArticle,
    NewCustomer,
    NewOrder,
    NewTicket,
    QueueDepth,
    TransferOutcome,
    View,
    WaitingEscalation,
)
from cstui.store.engine import (
    SINGLE_STATEMENTS,
    check_schema,
    driver_message,
    make_engine,
    normalise_url,
)
from cstui.store.schema import (
    AGENTS,
    CUSTOMERS,
    ESCALATIONS,
    EVENTS,
    MESSAGES,
    ORDERS,
    TICKETS,
    TRANSFERS,
)
from cstui.store.views import VIEW_SPECS, decode_cursor, encode_cursor, keyset_sql

Clock = Callable[[], datetime]


MAX_PAGE = 500

# The transaction that store calls on this thread (or task) join: see `SqlStore.transaction`.
_JOINED: ContextVar[tuple[SqlStore, Connection] | None] = ContextVar("cstui_joined", default=None)


@contextmanager
def _translated_errors() -> Iterator[None]:
    """The driver's refusals as the store's own errors, one line each."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(f"refused by the store: {driver_message(exc)}") from None
    except OperationalError as exc:
        raise Unavailable(f"store: {driver_message(exc)}") from None


def utcnow() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SqlStore:
    """`HelpdeskStore` over SQLAlchemy Core (tables in `schema.py`)."""

    def __init__(
        self,
        engine: Engine,
        *,
        rules: Rules | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.engine = engine
        self.rules = rules or Rules()
        self.clock = clock

    @classmethod
    def open(cls, target: str, *, rules: Rules | None = None, clock: Clock = utcnow) -> SqlStore:
        """Open an existing store; a missing, corrupt or newer one is `Unavailable`."""
        url = normalise_url(target)
        engine = make_engine(url)
        check_schema(engine, url)
        return cls(engine, rules=rules, clock=clock)

    def close(self) -> None:
        self.engine.dispose()

    def optimize(self) -> None:
        """Refresh the planner's statistics after a bulk load.

        Without them SQLite may scan the wide `ix_q_open` index for the escalated view
        instead of its own partial index.
        """
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction that every store call made inside it joins.

        What those calls write commits together with what the caller writes on `conn`, or
        not at all: the team server records an idempotent request's response this way, in
        the same commit as its effect, so a crash can never leave one without the other.
        Calls from other threads (or other stores) do not join.
        """
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        with self._write() as conn:
            token = _JOINED.set((self, conn))
            try:
                yield conn
            finally:
                _JOINED.reset(token)

    def _joined(self) -> Connection | None:
        active = _JOINED.get()
        return active[1] if active is not None and active[0] is self else None

    @contextmanager
    def _read(self, *, single_statements: bool = False) -> Iterator[Connection]:
        """One read transaction: what it reads comes from one snapshot.

        `single_statements`: each statement stands alone (a queue page and its count, say),
        so no transaction is begun: on PostgreSQL that saves two round trips. Inside
        `transaction()` the read joins it, and so sees what was written before it.
        """
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        try:
            with self.engine.connect() as conn:
                if single_statements:
                    conn = conn.execution_options(**{SINGLE_STATEMENTS: True})
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise Unavailable(f"store: {driver_message(exc)}") from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        joined = self._joined()
        if joined is not None:
            with _translated_errors():
                yield joined
            return
        with _translated_errors(), self.engine.connect() as conn:
            conn = conn.execution_options(cstui_write=True)
            with conn.begin():
                yield conn

    def _event(
        self,
        conn: Connection,
        kind: EventKind | events.Payload,
        *,
        ticket_id: int | None,
        actor: str | None,
        at: datetime,
        old: Mapping[str, Any] | None = None,
        new: Mapping[str, Any] | None = None,
    ) -> None:
        """Log an event given as its payload, or as a kind and two objects that must fit
        the kind's payload class (`domain.events`): the log holds only what decodes."""
        logged, old_text, new_text = events.columns(kind, old, new)
        conn.execute(
            insert(EVENTS),
            {
                "ticket_id": ticket_id,
                "actor": actor,
                "at": at,
                "kind": logged.value,
                "old": old_text,
                "new": new_text,
            },
        )

    # -- presence and audited reveals (store/presence.py) ---------------------------------

    def set_presence(self, *, actor: str, ticket_id: int | None) -> None:
        from cstui.store import presence

        presence.set_presence(self, actor=actor, ticket_id=ticket_id)

    def viewers(self, ticket_ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]:
        from cstui.store import presence

        return presence.viewers(self, ticket_ids)

    def reveal_contact(
        self, customer_id: int, *, actor: str, ticket_id: int | None = None
    ) -> Customer:
        from cstui.store import presence

        return presence.reveal_contact(self, customer_id, actor=actor, ticket_id=ticket_id)

    # -- agents ---------------------------------------------------------------------------

    def add_agent(
        self, name: str, role: Role, shift: Shift | None = None, display_name: str | None = None
    ) -> Agent:
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise BadInput("name: an agent name is 1–64 characters without spaces")
        now = self.clock()
        with self._write() as conn:
            if conn.execute(select(AGENTS.c.id).where(AGENTS.c.name == name)).first():
                raise Conflict(f"agent {name} exists already")
            new_id = conn.execute(
                insert(AGENTS).values(
                    name=name,
                    role=role.value,
                    shift=shift.value if shift else None,
                    display_name=display_name,
                    routing_paused=0,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            self._event(
                conn,
                EventKind.AGENT_ADDED,
                ticket_id=None,
                actor=None,
                at=now,
                new={"agent": name, "role": role.value},
            )
        return Agent(id=new_id, name=name, role=role, shift=shift, display_name=display_name)

    def get_agent(self, name: str) -> Agent:
        with self._read() as conn:
            return _agent_from(self._agent_row(conn, name))

    def list_agents(self) -> list[Agent]:
        with self._read() as conn:
            result = conn.execute(select(AGENTS).order_by(AGENTS.c.id)).mappings()
            return [_agent_from(m) for m in result]

    def issue_token(self, name: str) -> str:
        """A new API token for the agent; only its hash is kept, so it is shown once."""
        token = secrets.token_urlsafe(32)
        with self._write() as conn:
            row = self._agent_row(conn, name)
            conn.execute(
                update(AGENTS).where(AGENTS.c.id == row["id"]).values(token_hash=hash_token(token))
            )
        return token

    def agent_for_token(self, token: str) -> Agent | None:
        with self._read() as conn:
            m = (
                conn.execute(select(AGENTS).where(AGENTS.c.token_hash == hash_token(token)))
                .mappings()
                .first()
            )
        return _agent_from(m) if m else None

    def _agent_row(self, conn: Connection, name: str) -> RowMapping:
        m = conn.execute(select(AGENTS).where(AGENTS.c.name == name)).mappings().first()
        if m is None:
            raise NotFound(f"agent {name}: no such agent (add one with `cstui agents add`)")
        return m

    # -- customers and orders -------------------------------------------------------------

    def add_customer(self, customer: NewCustomer) -> Customer:
        if not customer.name.strip():
            raise BadInput("name: a customer needs a name")
        now = self.clock()
        values = {
            "name": customer.name.strip(),
            "phone": customer.phone,
            "email": customer.email,
            "address": customer.address,
            "tier": Tier.NEW.value,
            "tier_reasons": "new customer",
            "annual_spend": 0.0,
            "order_count": 0,
            "complaint_count": 0,
            "created_at": customer.created_at or now,
        }
        with self._write() as conn:
            values["id"] = conn.execute(insert(CUSTOMERS).values(**values)).inserted_primary_key[0]
        return R.customer_from_mapping(values)

    def add_order(self, order: NewOrder) -> Order:
        if order.amount < 0:
            raise BadInput("amount: an order amount is not negative")
        values = {
            "number": order.number,
            "customer_id": order.customer_id,
            "amount": order.amount,
            "goods_type": order.goods_type.value,
            "placed_at": order.placed_at or self.clock(),
            "tracking_no": order.tracking_no,
            "logistics_status": order.logistics_status,
        }
        with self._write() as conn:
            self._customer_row(conn, order.customer_id)
            if conn.execute(select(ORDERS.c.id).where(ORDERS.c.number == order.number)).first():
                raise Conflict(f"order {order.number} exists already")
            conn.execute(insert(ORDERS).values(**values))
            conn.execute(
                update(CUSTOMERS)
                .where(CUSTOMERS.c.id == order.customer_id)
                .values(
                    order_count=CUSTOMERS.c.order_count + 1,
                    annual_spend=CUSTOMERS.c.annual_spend + order.amount,
                )
            )
        return R.order_from_mapping(values)

    def get_customer(self, customer_id: int) -> Customer:
        with self._read() as conn:
            return R.customer_from_mapping(self._customer_row(conn, customer_id))

    def _customer_row(self, conn: Connection, customer_id: int) -> RowMapping:
        m = conn.execute(select(CUSTOMERS).where(CUSTOMERS.c.id == customer_id)).mappings().first()
        if m is None:
            raise NotFound(f"customer {customer_id}: no such customer")
        return m

    def customer_orders(self, customer_id: int) -> list[Order]:
        with self._read() as conn:
            result = conn.execute(
                select(ORDERS)
                .where(ORDERS.c.customer_id == customer_id)
                .order_by(ORDERS.c.placed_at.desc(), ORDERS.c.id.desc())
            ).mappings()
            return [R.order_from_mapping(m) for m in result]

    def retier_customers(self) -> int:
        """Re-rank every customer (the top-20% cutoff moves with the population).

        Active tickets follow their customer's new tier; returns how many customers changed.
        """
        now = self.clock()
        year_ago = now - timedelta(days=365)
        with self._write() as conn:
            stats = self._customer_stats(conn, year_ago)
            cutoff = spend_cutoff(
                [s.annual_spend for _, s, _ in stats], self.rules.tiers.vip_top_share
            )
            changed = 0
            for customer_id, st, old_tier in stats:
                assessed = classify(st, self.rules.tiers, now, cutoff)
                if assessed.tier.value == old_tier:
                    continue
                changed += 1
                conn.execute(
                    update(CUSTOMERS)
                    .where(CUSTOMERS.c.id == customer_id)
                    .values(tier=assessed.tier.value, tier_reasons="; ".join(assessed.reasons))
                )
                conn.execute(
                    update(TICKETS)
                    .where(TICKETS.c.customer_id == customer_id, TICKETS.c.active == 1)
                    .values(tier=assessed.tier.value, tier_rank=TIER_RANK[assessed.tier])
                )
        return changed

    def _customer_stats(
        self, conn: Connection, year_ago: datetime
    ) -> list[tuple[int, CustomerStats, str]]:
        spend = (
            select(
                ORDERS.c.customer_id,
                func.coalesce(func.sum(ORDERS.c.amount), 0.0).label("spend"),
                func.count().label("n"),
                func.min(ORDERS.c.placed_at).label("first"),
            )
            .where(ORDERS.c.placed_at >= year_ago)
            .group_by(ORDERS.c.customer_id)
            .subquery()
        )
        query = select(
            CUSTOMERS.c.id,
            CUSTOMERS.c.complaint_count,
            CUSTOMERS.c.created_at,
            CUSTOMERS.c.tier,
            spend.c.spend,
            spend.c.n,
            spend.c.first,
        ).outerjoin(spend, spend.c.customer_id == CUSTOMERS.c.id)
        out = []
        for m in conn.execute(query).mappings():
            stats = CustomerStats(
                annual_spend=float(m["spend"] or 0.0),
                orders_last_year=int(m["n"] or 0),
                complaint_count=m["complaint_count"],
                first_order_at=R.dt(m["first"]),
                created_at=m["created_at"],
            )
            out.append((m["id"], stats, m["tier"]))
        return out

    # -- tickets: reading -----------------------------------------------------------------

    def get_ticket(self, ticket_id: int, *, with_messages: bool = True) -> Ticket:
        with self._read() as conn:
            select = R.ticket_select(conn.dialect.name)
            row = conn.execute(text(f"{select} WHERE t.id = :id"), {"id": ticket_id}).first()
            if row is None:
                raise NotFound(f"ticket {ticket_id}: no such ticket")
            messages = tuple(self._messages(conn, ticket_id)) if with_messages else ()
            return R.ticket_from_row(row, messages)

    def ticket_owner(self, ticket_id: int) -> str | None:
        """Who owns the ticket (None: nobody yet): one small read, for deciding rights."""
        owner = AGENTS.c.name.label("owner")
        joined = TICKETS.outerjoin(AGENTS, AGENTS.c.id == TICKETS.c.owner_id)
        with self._read(single_statements=True) as conn:
            row = conn.execute(select(owner).select_from(joined).where(TICKETS.c.id == ticket_id))
            found = row.first()
        if found is None:
            raise NotFound(f"ticket {ticket_id}: no such ticket")
        return found.owner

    def list_tickets(
        self, view: View, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[Ticket]:
        if not 1 <= limit <= MAX_PAGE:
            raise BadInput(f"limit: between 1 and {MAX_PAGE}")
        spec = VIEW_SPECS[view]
        params: dict[str, Any] = {"n": limit + 1}
        with self._read(single_statements=True) as conn:
            params.update(self._view_params(conn, view, actor))
            if cursor:
                keys = decode_cursor(cursor, spec.order)
                params.update({f"k{i}": v for i, v in enumerate(keys)})
            where, order = keyset_sql(spec, after=bool(cursor))
            sql = _page_sql(where, order, conn.dialect.name)
            rows = conn.execute(_page_statement(sql, spec.order, bool(cursor)), params).all()
            more = len(rows) > limit
            rows = rows[:limit]
            items = [R.ticket_from_row(r) for r in rows]
            next_cursor = None
            if more:
                next_cursor = encode_cursor(R.order_keys(rows[-1], spec.order))
        return Page(items=tuple(items), next_cursor=next_cursor)

    def count_tickets(self, view: View, *, actor: str | None) -> int:
        spec = VIEW_SPECS[view]
        with self._read(single_statements=True) as conn:
            params = self._view_params(conn, view, actor)
            where, _ = keyset_sql(spec, after=False)
            sql = f"SELECT count(*) FROM tickets t WHERE {where}"
            # bound like the page query: an untyped deadline compared as the wrong text on SQLite
            statement = _page_statement(sql, spec.order, with_cursor=False)
            return int(conn.execute(statement, params).scalar_one())

    def search_tickets(
        self, query: str, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[TicketHit]:
        """Tickets matching `status:open tier:vip 退款` (see `store/ticket_search.py`)."""
        from cstui.store.ticket_search import search_tickets

        return search_tickets(self, query, actor=actor, limit=limit, cursor=cursor)

    def _view_params(self, conn: Connection, view: View, actor: str | None) -> dict[str, Any]:
        if view is View.MINE:
            if not actor:
                raise BadInput("--as: the mine view needs the acting agent")
            return {"actor_id": self._agent_row(conn, actor)["id"]}
        if view is View.SLA_RISK:
            return {"risk_until": self.clock() + self.rules.sla.risk_window}
        return {}

    def customer_tickets(self, customer_id: int, *, limit: int = 20) -> list[Ticket]:
        with self._read() as conn:
            sql = (
                f"{R.ticket_select(conn.dialect.name)} WHERE t.customer_id = :c "
                "ORDER BY t.last_activity_at DESC, t.id DESC LIMIT :n"
            )
            rows = conn.execute(text(sql), {"c": customer_id, "n": limit}).all()
            return [R.ticket_from_row(r) for r in rows]

    def messages(self, ticket_id: int) -> list[Message]:
        with self._read() as conn:
            return self._messages(conn, ticket_id)

    def _messages(self, conn: Connection, ticket_id: int) -> list[Message]:
        q = text(
            f"SELECT {R.MESSAGE_COLUMNS} FROM messages WHERE ticket_id = :t ORDER BY created_at, id"
        )
        return [R.message_from_row(r) for r in conn.execute(q, {"t": ticket_id})]

    def pending_transfers(self) -> list[TransferRequest]:
        with self._read() as conn:
            q = text(
                f"SELECT {R.TRANSFER_COLUMNS} FROM transfers WHERE state = 'pending' ORDER BY id"
            )
            return [R.transfer_from_row(r) for r in conn.execute(q)]

    # -- tickets: writing -----------------------------------------------------------------

    def _locked_ticket(self, conn: Connection, ticket_id: int) -> RowMapping:
        """The ticket row, locked for this transaction (FOR UPDATE; SQLite's write lock)."""
        q = select(TICKETS).where(TICKETS.c.id == ticket_id).with_for_update()
        m = conn.execute(q).mappings().first()
        if m is None:
            raise NotFound(f"ticket {ticket_id}: no such ticket")
        return m

    def _worked_ticket(
        self, conn: Connection, ticket_id: int, actor: str
    ) -> tuple[RowMapping, Role]:
        """Lock a ticket for a change only its owner (or a supervisor) may make."""
        role = Role(self._agent_row(conn, actor)["role"])
        row = self._locked_ticket(conn, ticket_id)
        owner = self._owner_name(conn, row["owner_id"])
        ownership.check_may_work(owner=owner, actor=actor, actor_role=role)
        return row, role

    def _ticket_with_right(
        self, conn: Connection, ticket_id: int, actor: str, right: rights.Right
    ) -> tuple[RowMapping, Role]:
        """Lock a ticket for a change that `right` allows its owner (or a supervisor)."""
        role = Role(self._agent_row(conn, actor)["role"])
        row = self._locked_ticket(conn, ticket_id)
        owner = self._owner_name(conn, row["owner_id"])
        rights.check(right, actor=actor, role=role, owner=owner)
        return row, role

    def _owner_name(self, conn: Connection, owner_id: int | None) -> str | None:
        if owner_id is None:
            return None
        return conn.execute(select(AGENTS.c.name).where(AGENTS.c.id == owner_id)).scalar()

    def _change(
        self,
        conn: Connection,
        row: RowMapping,
        values: Mapping[str, Any],
        *,
        at: datetime,
        expected_version: int | None = None,
    ) -> None:
        """Update the ticket if its version is still the one read (optimistic concurrency)."""
        if expected_version is not None and expected_version != row["version"]:
            raise StaleVersion(
                f"ticket {row['id']} changed (version {row['version']}, "
                f"you had {expected_version}): reload it"
            )
        result = conn.execute(
            update(TICKETS)
            .where(TICKETS.c.id == row["id"], TICKETS.c.version == row["version"])
            .values(**values, version=row["version"] + 1, updated_at=at)
        )
        if result.rowcount != 1:
            raise StaleVersion(f"ticket {row['id']} changed meanwhile: reload it")

    def create_ticket(self, ticket: NewTicket, *, actor: str | None = None) -> Ticket:
        if not ticket.subject.strip():
            raise BadInput("subject: a ticket needs a subject")
        now = self.clock()
        with self._write() as conn:
            ticket_id = self._insert_ticket(conn, ticket, now, actor)
        return self.get_ticket(ticket_id)

    def _insert_ticket(
        self, conn: Connection, new: NewTicket, now: datetime, actor: str | None
    ) -> int:
        customer = self._customer_row(conn, new.customer_id)
        order = self._order_for(conn, new.order_number, new.customer_id)
        tier = Tier(customer["tier"])
        clock = sla.start_clock(now, new.priority, tier, self.rules.sla, self.rules.calendar)
        complaint = new.complaint_cause is not None or new.category is Category.COMPLAINT
        matter = complaints.matter_key(new.customer_id, new.order_number, new.category)
        second = complaint and self._is_second_complaint(conn, new.customer_id, matter)
        routed_to = self._returning_owner(conn, new.customer_id, now)
        values = {
            "subject": new.subject.strip(),
            "priority": new.priority.value,
            "channel": new.channel.value,
            "category": new.category.value,
            "customer_id": new.customer_id,
            "order_id": order["id"] if order else None,
            "owner_id": routed_to["id"] if routed_to else None,
            "status": (Status.OPEN if routed_to else Status.NEW).value,
            "dispatch_count": 1 if routed_to else 0,
            "version": 1,
            "tier": tier.value,
            "active": 1,
            "green_rank": 1,
            "tier_rank": TIER_RANK[tier],
            "open_escalations": 0,
            "complaint_cause": new.complaint_cause.value if new.complaint_cause else None,
            "second_complaint": int(second),
            "matter_key": matter if complaint else None,
            "created_at": now,
            "updated_at": now,
            "last_activity_at": now,
            **R.clock_columns(clock),
        }
        ticket_id = int(conn.execute(insert(TICKETS).values(**values)).inserted_primary_key[0])
        conn.execute(
            insert(MESSAGES).values(
                ticket_id=ticket_id,
                kind=MessageKind.CUSTOMER.value,
                channel=new.channel.value,
                author=customer["name"],
                body=new.body,
                created_at=now,
            )
        )
        ticket_index.index_ticket(conn, ticket_id)  # searchable as soon as this commits
        self._event(
            conn,
            EventKind.CREATED,
            ticket_id=ticket_id,
            actor=actor,
            at=now,
            new={
                "channel": new.channel.value,
                "category": new.category.value,
                "priority": new.priority.value,
                "tier": tier.value,
                "customer_id": new.customer_id,
                "complaint": complaint,
            },
        )
        if complaint:
            self._note_complaint(
                conn, ticket_id, new.customer_id, new.complaint_cause, second, actor, now
            )
        if routed_to:
            self._event(
                conn,
                EventKind.ROUTED,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                old={"owner": None},
                new={"owner": routed_to["name"], "reason": "returning customer"},
            )
        return ticket_id

    def _order_for(
        self, conn: Connection, number: str | None, customer_id: int
    ) -> RowMapping | None:
        if number is None:
            return None
        m = conn.execute(select(ORDERS).where(ORDERS.c.number == number)).mappings().first()
        if m is None:
            raise NotFound(f"order {number}: no such order")
        if m["customer_id"] != customer_id:
            raise BadInput(f"order: {number} belongs to another customer")
        return m

    def _is_second_complaint(self, conn: Connection, customer_id: int, matter: str) -> bool:
        earlier = conn.execute(
            select(TICKETS.c.matter_key).where(
                TICKETS.c.customer_id == customer_id, TICKETS.c.matter_key.is_not(None)
            )
        ).scalars()
        return complaints.is_second_complaint(matter, earlier)

    def _note_complaint(
        self,
        conn: Connection,
        ticket_id: int,
        customer_id: int,
        cause: ComplaintCause | None,
        second: bool,
        actor: str | None,
        at: datetime,
    ) -> None:
        conn.execute(
            update(CUSTOMERS)
            .where(CUSTOMERS.c.id == customer_id)
            .values(complaint_count=CUSTOMERS.c.complaint_count + 1)
        )
        self._event(
            conn,
            EventKind.COMPLAINT,
            ticket_id=ticket_id,
            actor=actor,
            at=at,
            new={"cause": cause.value if cause else None, "second": second},
        )

    def _returning_owner(
        self, conn: Connection, customer_id: int, now: datetime
    ) -> RowMapping | None:
        """First-contact ownership across channels: recent owners get the customer back."""
        since = now - self.rules.returning_window
        q = select(TICKETS.c.owner_id, TICKETS.c.last_activity_at).where(
            TICKETS.c.customer_id == customer_id,
            TICKETS.c.owner_id.is_not(None),
            TICKETS.c.last_activity_at >= since,
        )
        contacts = [
            ownership.PastContact(owner=str(oid), last_activity_at=at)
            for oid, at in conn.execute(q)
        ]
        owner_id = ownership.returning_owner(contacts, now=now, window=self.rules.returning_window)
        if owner_id is None:
            return None
        agent = conn.execute(select(AGENTS).where(AGENTS.c.id == int(owner_id))).mappings().first()
        # A paused agent (a supervisor's call) gets no new work: the ticket waits unassigned.
        return None if agent is None or agent["routing_paused"] else agent

    def take(self, ticket_id: int, *, actor: str) -> Ticket:
        now = self.clock()
        with self._write() as conn:
            agent = self._agent_row(conn, actor)
            row = self._locked_ticket(conn, ticket_id)
            ownership.check_take(
                owner=self._owner_name(conn, row["owner_id"]),
                status=Status(row["status"]),
                actor=actor,
            )
            result = conn.execute(
                text(
                    "UPDATE tickets SET owner_id = :a, dispatch_count = dispatch_count + 1, "
                    "status = CASE WHEN status = 'new' THEN 'open' ELSE status END, "
                    "version = version + 1, updated_at = :now, last_activity_at = :now "
                    "WHERE id = :id AND owner_id IS NULL AND active = 1"
                ).bindparams(bindparam("now", type_=TICKETS.c.updated_at.type)),
                {"a": agent["id"], "now": now, "id": ticket_id},
            )
            if result.rowcount != 1:
                owner = self._owner_name(conn, self._locked_ticket(conn, ticket_id)["owner_id"])
                raise ownership.AlreadyOwned(f"already owned by {owner}", owner=owner)
            self._event(
                conn,
                EventKind.TAKEN,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                old={"owner": None},
                new={"owner": actor},
            )
        return self.get_ticket(ticket_id, with_messages=False)

    def add_message(
        self,
        ticket_id: int,
        *,
        actor: str,
        kind: MessageKind,
        text: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        if kind is MessageKind.CUSTOMER:
            raise BadInput("kind: agents write replies or notes")
        body = text.strip()
        if not body:
            raise BadInput("text: the message is empty")
        now = self.clock()
        with self._write() as conn:
            if idempotency_key and (done := self._by_idempotency_key(conn, idempotency_key)):
                return done
            agent = self._agent_row(conn, actor)
            row = self._locked_ticket(conn, ticket_id)
            values: dict[str, Any] = {"last_activity_at": now}
            if kind is MessageKind.REPLY:
                ownership.check_may_work(
                    owner=self._owner_name(conn, row["owner_id"]),
                    actor=actor,
                    actor_role=Role(agent["role"]),
                )
                clock = sla.on_agent_reply(R.clock_from_row(row), now)
                values.update(R.clock_columns(clock))
                if row["first_responded_at"] is None:
                    values["first_responded_at"] = now
            self._change(conn, row, values, at=now, expected_version=expected_version)
            ticket_index.add_message(conn, ticket_id, body)
            message_id = conn.execute(
                insert(MESSAGES).values(
                    ticket_id=ticket_id,
                    kind=kind.value,
                    channel=row["channel"],
                    author=actor,
                    body=body,
                    created_at=now,
                    idempotency_key=idempotency_key,
                )
            ).inserted_primary_key[0]
            event_kind = EventKind.REPLY if kind is MessageKind.REPLY else EventKind.NOTE
            self._event(
                conn,
                event_kind,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                new={"message_id": message_id},
            )
        return Message(
            id=message_id,
            ticket_id=ticket_id,
            kind=kind,
            channel=Channel(row["channel"]),
            author=actor,
            body=body,
            created_at=now,
        )

    def _by_idempotency_key(self, conn: Connection, key: str) -> Message | None:
        q = text(f"SELECT {R.MESSAGE_COLUMNS} FROM messages WHERE idempotency_key = :k")
        row = conn.execute(q, {"k": key}).first()
        return R.message_from_row(row) if row else None

    def customer_message(
        self, ticket_id: int, *, text: str, channel: Channel | None = None
    ) -> Message:
        """The customer wrote again: resumes a paused clock, reopens a resolved ticket."""
        now = self.clock()
        with self._write() as conn:
            row = self._locked_ticket(conn, ticket_id)
            if row["merged_into"]:
                raise Conflict(f"ticket {ticket_id} was merged into {row['merged_into']}")
            customer = self._customer_row(conn, row["customer_id"])
            values = self._customer_returns(conn, row, now)
            self._change(conn, row, values, at=now)
            ch = channel or Channel(row["channel"])
            ticket_index.add_message(conn, ticket_id, text)
            message_id = conn.execute(
                insert(MESSAGES).values(
                    ticket_id=ticket_id,
                    kind=MessageKind.CUSTOMER.value,
                    channel=ch.value,
                    author=customer["name"],
                    body=text,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            self._event(
                conn,
                EventKind.CUSTOMER_MESSAGE,
                ticket_id=ticket_id,
                actor=None,
                at=now,
                new={"message_id": message_id, "channel": ch.value},
            )
        return Message(
            id=message_id,
            ticket_id=ticket_id,
            kind=MessageKind.CUSTOMER,
            channel=ch,
            author=customer["name"],
            body=text,
            created_at=now,
        )

    def _customer_returns(self, conn: Connection, row: RowMapping, now: datetime) -> dict[str, Any]:
        priority, tier = Priority(row["priority"]), Tier(row["tier"])
        clock = R.clock_from_row(row)
        status = Status(row["status"])
        values: dict[str, Any] = {"last_activity_at": now}
        if status in (Status.RESOLVED, Status.CLOSED):
            clock = sla.start_clock(now, priority, tier, self.rules.sla, self.rules.calendar)
            clock = sla.on_agent_reply(clock, now)  # the first response was given long ago
            values.update(
                status=Status.OPEN.value, active=1, resolved_at=None, resolution_code=None
            )
            self._event(
                conn,
                EventKind.REOPENED,
                ticket_id=row["id"],
                actor=None,
                at=now,
                old={"status": status.value},
                new={"status": Status.OPEN.value},
            )
        elif status is Status.PENDING:
            clock = sla.resume(clock, now, self.rules.calendar)
            values["status"] = Status.OPEN.value
        clock = sla.on_customer_message(
            clock, now, priority, tier, self.rules.sla, self.rules.calendar
        )
        values.update(R.clock_columns(clock))
        return values

    def escalate(
        self,
        ticket_id: int,
        *,
        actor: str,
        department: Department,
        reason: str,
        green: bool = False,
        expected_version: int | None = None,
    ) -> Escalation:
        """Ask a department to act. The owner stays the owner (首问负责制)."""
        text_reason = ownership.require_reason(reason, "escalation")
        now = self.clock()
        with self._write() as conn:
            row, role = self._worked_ticket(conn, ticket_id, actor)
            if green and not escalation.green_eligible(self._goods(conn, row), role):
                raise ownership.PermissionDenied(
                    "green channel: fresh food and medical devices only, or a supervisor's call"
                )
            due = self._escalation_due(conn, row, department, green, now)
            self._change(
                conn,
                row,
                {
                    "open_escalations": row["open_escalations"] + 1,
                    "green_rank": 0 if green else row["green_rank"],
                    "last_activity_at": now,
                },
                at=now,
                expected_version=expected_version,
            )
            esc_id = conn.execute(
                insert(ESCALATIONS).values(
                    ticket_id=ticket_id,
                    department=department.value,
                    reason=text_reason,
                    state=EscalationState.REQUESTED.value,
                    green=int(green),
                    requested_by=actor,
                    created_at=now,
                    due_at=due,
                    notes="[]",
                )
            ).inserted_primary_key[0]
            self._event(
                conn,
                EventKind.ESCALATED,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                new={
                    "escalation_id": esc_id,
                    "department": department.value,
                    "green": green,
                    "due_at": due.isoformat(),
                    "reason": text_reason,
                },
            )
        return Escalation(
            id=esc_id,
            ticket_id=ticket_id,
            department=department,
            reason=text_reason,
            state=EscalationState.REQUESTED,
            green=green,
            requested_by=actor,
            created_at=now,
            due_at=due,
        )

    def _goods(self, conn: Connection, row: RowMapping) -> GoodsType | None:
        if row["order_id"] is None:
            return None
        value = conn.execute(
            select(ORDERS.c.goods_type).where(ORDERS.c.id == row["order_id"])
        ).scalar()
        return GoodsType(value) if value else None

    def _escalation_due(
        self, conn: Connection, row: RowMapping, department: Department, green: bool, now: datetime
    ) -> datetime:
        open_departments = conn.execute(
            select(ESCALATIONS.c.department).where(ESCALATIONS.c.ticket_id == row["id"])
        ).scalars()
        departments = [Department(d) for d in open_departments] + [department]
        return escalation.escalation_due(
            now,
            department=department,
            green=green,
            complex_case=escalation.is_complex(departments),
            cal=self.rules.calendar,
            policy=self.rules.escalation,
        )

    def update_escalation(
        self, escalation_id: int, *, actor: str, state: EscalationState, note: str | None = None
    ) -> Escalation:
        now = self.clock()
        with self._write() as conn:
            self._agent_row(conn, actor)
            m = (
                conn.execute(
                    select(ESCALATIONS).where(ESCALATIONS.c.id == escalation_id).with_for_update()
                )
                .mappings()
                .first()
            )
            if m is None:
                raise NotFound(f"escalation {escalation_id}: no such escalation")
            old = EscalationState(m["state"])
            escalation.transition(old, state)
            notes = json.loads(m["notes"] or "[]") + ([f"{actor}: {note}"] if note else [])
            conn.execute(
                update(ESCALATIONS)
                .where(ESCALATIONS.c.id == escalation_id)
                .values(
                    state=state.value, updated_at=now, notes=json.dumps(notes, ensure_ascii=False)
                )
            )
            row = self._locked_ticket(conn, m["ticket_id"])
            closing = state not in (EscalationState.REQUESTED, EscalationState.ACKNOWLEDGED)
            values: dict[str, Any] = {"last_activity_at": now}
            if closing:
                values["open_escalations"] = max(0, row["open_escalations"] - 1)
            self._change(conn, row, values, at=now)
            self._event(
                conn,
                EventKind.ESCALATION_STATE,
                ticket_id=m["ticket_id"],
                actor=actor,
                at=now,
                old={"state": old.value},
                new={"state": state.value, "escalation_id": escalation_id, "note": note},
            )
            result = conn.execute(
                text(f"SELECT {R.ESCALATION_COLUMNS} FROM escalations WHERE id = :i"),
                {"i": escalation_id},
            ).one()
        return R.escalation_from_row(result)

    def transfer(
        self,
        ticket_id: int,
        *,
        actor: str,
        to: str,
        reason: str,
        expected_version: int | None = None,
    ) -> TransferOutcome:
        now = self.clock()
        with self._write() as conn:
            agent = self._agent_row(conn, actor)
            target = self._agent_row(conn, to)
            row = self._locked_ticket(conn, ticket_id)
            owner = self._owner_name(conn, row["owner_id"])
            plan = ownership.plan_transfer(
                actor=actor,
                actor_role=Role(agent["role"]),
                owner=owner,
                to=to,
                reason=reason,
                approval_required=self.rules.transfer_needs_approval,
            )
            if expected_version is not None and expected_version != row["version"]:
                raise StaleVersion(f"ticket {ticket_id} changed: reload it")
            if plan.needs_approval:
                request = self._request_transfer(conn, row, owner, plan, actor, now)
            else:
                self._move_owner(
                    conn, row, target, owner, EventKind.TRANSFERRED, actor, now, plan.reason
                )
                request = None
        return TransferOutcome(
            ticket=self.get_ticket(ticket_id, with_messages=False), request=request
        )

    def _request_transfer(
        self,
        conn: Connection,
        row: RowMapping,
        owner: str | None,
        plan: ownership.TransferPlan,
        actor: str,
        now: datetime,
    ) -> TransferRequest:
        pending = conn.execute(
            select(TRANSFERS.c.id).where(
                TRANSFERS.c.ticket_id == row["id"], TRANSFERS.c.state == "pending"
            )
        ).first()
        if pending:
            raise Conflict(f"ticket {row['id']} already has a transfer waiting for approval")
        request_id = conn.execute(
            insert(TRANSFERS).values(
                ticket_id=row["id"],
                from_owner=owner,
                to_agent=plan.to,
                reason=plan.reason,
                requested_by=actor,
                state="pending",
                created_at=now,
            )
        ).inserted_primary_key[0]
        self._event(
            conn,
            EventKind.TRANSFER_REQUESTED,
            ticket_id=row["id"],
            actor=actor,
            at=now,
            old={"owner": owner},
            new={"to": plan.to, "reason": plan.reason, "request_id": request_id},
        )
        return TransferRequest(
            id=request_id,
            ticket_id=row["id"],
            from_owner=owner,
            to_agent=plan.to,
            reason=plan.reason,
            requested_by=actor,
            created_at=now,
            state="pending",
        )

    def _move_owner(
        self,
        conn: Connection,
        row: RowMapping,
        target: RowMapping,
        owner: str | None,
        kind: EventKind,
        actor: str,
        now: datetime,
        reason: str,
    ) -> None:
        count = ownership.next_dispatch_count(row["dispatch_count"], owner, target["name"])
        status = Status.OPEN.value if row["status"] == Status.NEW.value else row["status"]
        self._change(
            conn,
            row,
            {
                "owner_id": target["id"],
                "dispatch_count": count,
                "status": status,
                "last_activity_at": now,
            },
            at=now,
        )
        self._event(
            conn,
            kind,
            ticket_id=row["id"],
            actor=actor,
            at=now,
            old={"owner": owner},
            new={"owner": target["name"], "reason": reason},
        )

    def decide_transfer(
        self, request_id: int, *, actor: str, approve: bool, note: str | None = None
    ) -> TransferRequest:
        now = self.clock()
        with self._write() as conn:
            agent = self._agent_row(conn, actor)
            ownership.check_decide_transfer(Role(agent["role"]))
            m = (
                conn.execute(
                    select(TRANSFERS).where(TRANSFERS.c.id == request_id).with_for_update()
                )
                .mappings()
                .first()
            )
            if m is None:
                raise NotFound(f"transfer {request_id}: no such transfer request")
            if m["state"] != "pending":
                raise Conflict(f"transfer {request_id} was {m['state']} already")
            row = self._locked_ticket(conn, m["ticket_id"])
            owner = self._owner_name(conn, row["owner_id"])
            if approve and owner != m["from_owner"]:
                raise Conflict(
                    f"ticket {row['id']} is now owned by {owner}: request is stale", owner=owner
                )
            state = "approved" if approve else "denied"
            conn.execute(
                update(TRANSFERS)
                .where(TRANSFERS.c.id == request_id)
                .values(state=state, decided_by=actor, decided_at=now)
            )
            if approve:
                target = self._agent_row(conn, m["to_agent"])
                self._move_owner(
                    conn, row, target, owner, EventKind.TRANSFER_APPROVED, actor, now, m["reason"]
                )
            else:
                self._event(
                    conn,
                    EventKind.TRANSFER_DENIED,
                    ticket_id=row["id"],
                    actor=actor,
                    at=now,
                    new={"request_id": request_id, "note": note},
                )
            out = conn.execute(
                text(f"SELECT {R.TRANSFER_COLUMNS} FROM transfers WHERE id = :i"), {"i": request_id}
            ).one()
        return R.transfer_from_row(out)

    def merge_tickets(self, ticket_id: int, *, into: int, actor: str) -> Ticket:
        """Merge a duplicate into another ticket of the same customer (`store/merge.py`)."""
        from cstui.store.merge import merge_tickets

        return merge_tickets(self, ticket_id, into=into, actor=actor)

    def link_tickets(self, ticket_id: int, other_id: int, *, actor: str) -> Ticket:
        from cstui.store.merge import link_tickets

        return link_tickets(self, ticket_id, other_id, actor=actor)

    def steal(self, ticket_id: int, *, actor: str, reason: str) -> Ticket:
        """A supervisor takes a ticket from its owner; audited with the reason."""
        now = self.clock()
        with self._write() as conn:
            agent = self._agent_row(conn, actor)
            row = self._locked_ticket(conn, ticket_id)
            owner = self._owner_name(conn, row["owner_id"])
            text_reason = ownership.check_steal(
                actor_role=Role(agent["role"]), owner=owner, actor=actor, reason=reason
            )
            self._move_owner(conn, row, agent, owner, EventKind.STOLEN, actor, now, text_reason)
        return self.get_ticket(ticket_id, with_messages=False)

    def set_status(
        self, ticket_id: int, *, actor: str, status: Status, expected_version: int | None = None
    ) -> Ticket:
        if status in (Status.RESOLVED, Status.NEW):
            raise BadInput(f"status: use resolve for resolved; {status} cannot be set by hand")
        now = self.clock()
        with self._write() as conn:
            row, _ = self._worked_ticket(conn, ticket_id, actor)
            values = self._status_values(row, Status(row["status"]), status, now)
            self._change(conn, row, values, at=now, expected_version=expected_version)
            self._event(
                conn,
                EventKind.STATUS,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                old={"status": row["status"]},
                new={"status": status.value},
            )
        return self.get_ticket(ticket_id, with_messages=False)

    def _status_values(
        self, row: RowMapping, old: Status, new: Status, now: datetime
    ) -> dict[str, Any]:
        if new is Status.CLOSED and old is not Status.RESOLVED:
            raise Conflict("only a resolved ticket can be closed")
        if old in (Status.RESOLVED, Status.CLOSED) and new is not Status.CLOSED:
            raise Conflict(f"ticket is {old}; the customer's next message reopens it")
        clock = R.clock_from_row(row)
        cal = self.rules.calendar
        if new is Status.PENDING:
            clock = sla.pause(clock, now, cal)
        elif old is Status.PENDING:
            clock = sla.resume(clock, now, cal)
        values: dict[str, Any] = {"status": new.value, "last_activity_at": now}
        if new is not Status.CLOSED:
            values.update(R.clock_columns(clock))
        return values

    def set_priority(
        self,
        ticket_id: int,
        *,
        actor: str,
        priority: Priority,
        expected_version: int | None = None,
    ) -> Ticket:
        now = self.clock()
        with self._write() as conn:
            row, _ = self._worked_ticket(conn, ticket_id, actor)
            clock = sla.retarget(
                R.clock_from_row(row),
                now,
                priority,
                Tier(row["tier"]),
                self.rules.sla,
                self.rules.calendar,
                row["created_at"],
            )
            values = {"priority": priority.value, **R.clock_columns(clock)}
            if not row["active"]:
                values = {"priority": priority.value}
            self._change(conn, row, values, at=now, expected_version=expected_version)
            self._event(
                conn,
                EventKind.PRIORITY,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                old={"priority": row["priority"]},
                new={"priority": priority.value},
            )
        return self.get_ticket(ticket_id, with_messages=False)

    def set_green_channel(self, ticket_id: int, *, actor: str, reason: str) -> Ticket:
        text_reason = ownership.require_reason(reason, "green channel")
        now = self.clock()
        with self._write() as conn:
            row, role = self._ticket_with_right(conn, ticket_id, actor, rights.GREEN_CHANNEL)
            if not escalation.green_eligible(self._goods(conn, row), role):
                raise ownership.PermissionDenied(
                    "green channel: fresh food and medical devices only, or a supervisor's call"
                )
            if row["green_rank"] == 0:
                raise Conflict(f"ticket {ticket_id} is on the green channel already")
            self._change(conn, row, {"green_rank": 0}, at=now)
            self._event(
                conn,
                EventKind.GREEN_CHANNEL,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                new={"reason": text_reason},
            )
        return self.get_ticket(ticket_id, with_messages=False)

    def register_complaint(self, ticket_id: int, *, actor: str, cause: ComplaintCause) -> Ticket:
        now = self.clock()
        with self._write() as conn:
            row, _ = self._ticket_with_right(conn, ticket_id, actor, rights.REGISTER_COMPLAINT)
            if row["complaint_cause"]:
                raise Conflict(f"ticket {ticket_id} has a complaint registered already")
            order = self._order_number(conn, row["order_id"])
            matter = complaints.matter_key(row["customer_id"], order, Category(row["category"]))
            second = bool(
                row["matter_key"] is None
                and self._is_second_complaint(conn, row["customer_id"], matter)
            )
            self._change(
                conn,
                row,
                {
                    "complaint_cause": cause.value,
                    "matter_key": matter,
                    "second_complaint": int(second),
                },
                at=now,
            )
            if row["matter_key"] is None:
                self._note_complaint(conn, ticket_id, row["customer_id"], cause, second, actor, now)
        return self.get_ticket(ticket_id, with_messages=False)

    def _order_number(self, conn: Connection, order_id: int | None) -> str | None:
        if order_id is None:
            return None
        return conn.execute(select(ORDERS.c.number).where(ORDERS.c.id == order_id)).scalar()

    def resolve(
        self,
        ticket_id: int,
        *,
        actor: str,
        code: ResolutionCode,
        override: bool = False,
        expected_version: int | None = None,
    ) -> Ticket:
        now = self.clock()
        with self._write() as conn:
            agent = self._agent_row(conn, actor)
            role = Role(agent["role"])
            row = self._locked_ticket(conn, ticket_id)
            if row["status"] not in {s.value for s in ACTIVE_STATUSES}:
                raise Conflict(f"ticket {ticket_id} is {row['status']} already")
            owner = self._owner_name(conn, row["owner_id"])
            ownership.check_may_work(owner=owner, actor=actor, actor_role=role)
            overridden = ownership.check_resolve(
                open_escalations=row["open_escalations"], actor_role=role, override=override
            )
            follow_up = complaints.follow_up_due(
                now,
                complaint=row["matter_key"] is not None,
                tier=Tier(row["tier"]),
                cal=self.rules.calendar,
                policy=self.rules.follow_up,
            )
            self._change(
                conn,
                row,
                {
                    "status": Status.RESOLVED.value,
                    "active": 0,
                    "resolved_at": now,
                    "resolution_code": code.value,
                    "follow_up_due": follow_up,
                    "last_activity_at": now,
                    **R.clock_columns(sla.stop(R.clock_from_row(row))),
                },
                at=now,
                expected_version=expected_version,
            )
            if overridden:
                self._event(
                    conn,
                    EventKind.RESOLVE_OVERRIDE,
                    ticket_id=ticket_id,
                    actor=actor,
                    at=now,
                    new={"open_escalations": row["open_escalations"]},
                )
            self._event(
                conn,
                EventKind.RESOLVED,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                old={"status": row["status"]},
                new={"code": code.value, "owner": owner},
            )
            if follow_up:
                self._event(
                    conn,
                    EventKind.FOLLOW_UP_SCHEDULED,
                    ticket_id=ticket_id,
                    actor=actor,
                    at=now,
                    new={"due": follow_up.isoformat()},
                )
        return self.get_ticket(ticket_id, with_messages=False)

    def record_csat(self, ticket_id: int, *, score: int) -> None:
        if not 1 <= score <= 5:
            raise BadInput("score: CSAT is 1 to 5")
        now = self.clock()
        with self._write() as conn:
            row = self._locked_ticket(conn, ticket_id)
            owner = self._owner_name(conn, row["owner_id"])
            self._event(
                conn,
                EventKind.CSAT,
                ticket_id=ticket_id,
                actor=None,
                at=now,
                new={"score": score, "owner": owner},
            )

    def schedule_follow_up(self, ticket_id: int, *, actor: str, due: datetime) -> Ticket:
        now = self.clock()
        with self._write() as conn:
            row, _ = self._ticket_with_right(conn, ticket_id, actor, rights.SCHEDULE_FOLLOW_UP)
            self._change(conn, row, {"follow_up_due": due}, at=now)
            self._event(
                conn,
                EventKind.FOLLOW_UP_SCHEDULED,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                new={"due": due.isoformat()},
            )
        return self.get_ticket(ticket_id, with_messages=False)

    def complete_follow_up(self, ticket_id: int, *, actor: str, note: str) -> Ticket:
        now = self.clock()
        with self._write() as conn:
            row, _ = self._ticket_with_right(conn, ticket_id, actor, rights.COMPLETE_FOLLOW_UP)
            if row["follow_up_due"] is None:
                raise Conflict(f"ticket {ticket_id} has no follow-up due")
            self._change(conn, row, {"follow_up_due": None}, at=now)
            self._event(
                conn,
                EventKind.FOLLOW_UP_DONE,
                ticket_id=ticket_id,
                actor=actor,
                at=now,
                new={"note": note},
            )
        return self.get_ticket(ticket_id, with_messages=False)

    # -- the log --------------------------------------------------------------------------

    def events(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        ticket_id: int | None = None,
        batch: int = 5000,
    ) -> Iterator[Event]:
        """The log in id order, read in keyset batches so a million events stream."""
        conds = ["id > :after"]
        params: dict[str, Any] = {"n": batch, "after": 0}
        if since is not None:
            conds.append("at >= :since")
            params["since"] = since
        if until is not None:
            conds.append("at < :until")
            params["until"] = until
        if ticket_id is not None:
            conds.append("ticket_id = :ticket")
            params["ticket"] = ticket_id
        sql = (
            f"SELECT {R.EVENT_COLUMNS} FROM events WHERE {' AND '.join(conds)} ORDER BY id LIMIT :n"
        )
        timed = [bindparam(p, type_=EVENTS.c.at.type) for p in ("since", "until") if p in params]
        q = text(sql).bindparams(*timed) if timed else text(sql)
        while True:
            with self._read() as conn:
                chunk = [R.event_from_row(r) for r in conn.execute(q, params)]
            yield from chunk
            if len(chunk) < batch:
                return
            params["after"] = chunk[-1].id

    def window_events(
        self, *, since: datetime, until: datetime, batch: int = 500
    ) -> Iterator[Event]:
        """Every event, whenever it happened, of each ticket with an event in [since, until).

        That is all `metrics.compute(..., since, until)` needs: a ticket resolved in the window
        but created before it still brings its CREATED event, and quiet tickets are not read.
        The tickets are found once (the `at` index), then read `batch` at a time by the
        (ticket_id, id) index: a subquery re-run per page cost minutes on a million tickets.
        Events come grouped by ticket, each ticket's in id order.
        """
        find = text(
            "SELECT DISTINCT ticket_id FROM events WHERE at >= :since AND at < :until "
            "AND ticket_id IS NOT NULL"
        ).bindparams(*(bindparam(p, type_=EVENTS.c.at.type) for p in ("since", "until")))
        with self._read() as conn:
            ids = sorted(r[0] for r in conn.execute(find, {"since": since, "until": until}))
        of_tickets = text(
            f"SELECT {R.EVENT_COLUMNS} FROM events WHERE ticket_id IN :ids ORDER BY ticket_id, id"
        ).bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(ids), batch):
            with self._read() as conn:
                chunk = conn.execute(of_tickets, {"ids": ids[start : start + batch]}).all()
            yield from (R.event_from_row(r) for r in chunk)

    # -- the supervisor's monitor (store/floor.py) ---------------------------------------

    def queue_depth(self) -> QueueDepth:
        from cstui.store import floor

        return floor.queue_depth(self)

    def green_board(self, *, limit: int = 50) -> list[GreenTicket]:
        from cstui.store import floor

        return floor.green_board(self, limit=min(limit, MAX_PAGE))

    def waiting_escalations(self, *, limit: int = 200) -> list[WaitingEscalation]:
        from cstui.store import floor

        return floor.waiting_escalations(self, limit=min(limit, MAX_PAGE))

    def agent_loads(self) -> list[AgentLoad]:
        from cstui.store import floor

        return floor.agent_loads(self)

    def set_routing_paused(self, name: str, *, actor: str, paused: bool) -> Agent:
        from cstui.store import floor

        return floor.set_routing_paused(self, name, actor=actor, paused=paused)

    # -- moving data in and out -----------------------------------------------------------

    def export_records(self) -> Iterator[dict[str, Any]]:
        from cstui.store.transfer import export_records

        return export_records(self.engine)

    def import_records(self, records: Iterable[tuple[int, dict[str, Any]]]) -> dict[str, int]:
        from cstui.store.transfer import import_records

        return import_records(self.engine, records)

    # -- the knowledge base (store/kb.py: articles and the dialect's search index) ---------

    def add_article(
        self,
        *,
        title: str,
        body: str,
        kind: ArticleKind = ArticleKind.FAQ,
        lang: ArticleLang = ArticleLang.ZH,
        tags: Iterable[str] = (),
        category: Category | None = None,
        actor: str,
    ) -> Article:
        new = NewArticle(title, body, kind, lang, tuple(tags), category)
        return kb.add_article(self, new, actor=actor)

    def update_article(
        self,
        article_id: int,
        *,
        actor: str,
        title: str | None = None,
        body: str | None = None,
        tags: Iterable[str] | None = None,
        expected_version: int | None = None,
    ) -> Article:
        return kb.update_article(
            self,
            article_id,
            actor=actor,
            title=title,
            body=body,
            tags=tags,
            expected_version=expected_version,
        )

    def capture_article(self, ticket_id: int, *, actor: str) -> Article:
        return kb.capture_article(self, ticket_id, actor=actor)

    def publish_article(self, article_id: int, *, actor: str) -> Article:
        return kb.publish_article(self, article_id, actor=actor)

    def get_article(self, article_id: int) -> Article:
        return kb.get_article(self, article_id)

    def find_template(self, name: str, *, lang: ArticleLang | None = None) -> Article:
        return kb.find_template(self, name, lang=lang)

    def search_articles(
        self,
        query: str,
        *,
        limit: int = 20,
        kind: ArticleKind | None = None,
        lang: ArticleLang | None = None,
        include_drafts: bool = False,
    ) -> list[SearchHit]:
        return kb.search_articles(
            self, query, limit=limit, kind=kind, lang=lang, include_drafts=include_drafts
        )

    def search_articles_unranked(
        self, query: str, *, limit: int = 20, include_drafts: bool = False
    ) -> list[SearchHit]:
        return kb.search_articles_unranked(self, query, limit=limit, include_drafts=include_drafts)


def _agent_from(m: Mapping[str, Any]) -> Agent:
    return Agent(
        id=m["id"],
        name=m["name"],
        role=Role(m["role"]),
        shift=Shift(m["shift"]) if m["shift"] else None,
        display_name=m["display_name"],
        routing_paused=bool(m["routing_paused"]),
    )


_TICKET_JOINS = R.TICKET_FROM.removeprefix("FROM tickets t ")


def _page_sql(where: str, order: str, dialect: str) -> str:
    """A queue page's query. On PostgreSQL the tickets are limited before they are joined.

    There the planner guesses one row for a deep page's keyset row comparison, then joined
    the whole rest of the queue to customers, orders and agents and sorted it (3.5 ms p50 for
    a page at 90% of a 5,000-ticket queue, growing with what is left) instead of walking the
    view's index and stopping (1.0 ms). SQLite plans the flat query well (bench/queue_page.py).
    """
    if dialect != "postgresql":
        return f"{R.ticket_select(dialect)} WHERE {where} ORDER BY {order} LIMIT :n"
    page = f"SELECT * FROM tickets t WHERE {where} ORDER BY {order} LIMIT :n"
    columns = R.ticket_columns(dialect)
    return f"SELECT {columns} FROM ({page}) t {_TICKET_JOINS} ORDER BY {order}"


@lru_cache(maxsize=64)
def _page_statement(sql: str, order: tuple[str, ...], with_cursor: bool) -> Any:
    """The page query, built once per view and cursor shape (it is the console's hot path).

    Datetime cursor keys and deadlines are bound with the column type (ISO text on SQLite).
    """
    dt_type = TICKETS.c.due_key.type
    params = [bindparam("risk_until", type_=dt_type)] if ":risk_until" in sql else []
    if with_cursor:
        params += [
            bindparam(f"k{i}", type_=dt_type)
            for i, name in enumerate(order)
            if name in ("due_key", "follow_up_due", "resolved_at")
        ]
    clause = text(sql)
    return clause.bindparams(*params) if params else clause


__all__ = ["SqlStore", "hash_token"]
