"""The SQL store (SQLAlchemy Core; SQLite by default, PostgreSQL for teams).

`SqlStore` is a facade: each call opens one transaction (or joins the caller's, see
`transaction`), hands a `Tx` to the aggregate module that does the work (`tickets`,
`messages`, `escalations`, `handover`, `merge`, `complaints`, `customers`, `agents`,
`queue`, `floor`, `presence`, `feed`, `kb`) and commits. A write on a ticket is a command
(`cstui.domain.commands`) applied by `execute` through its handler (`store/commands.py`).

Every write re-reads the ticket with its row locked, applies the domain's rules, updates
the row only if its version is still the one read (optimistic concurrency) and appends its
events. Two agents taking one ticket are serialised by that lock: the second finds it owned.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from cstui.domain import commands as C
from cstui.domain.channels import NewAttachment
from cstui.domain.commands import Command
from cstui.domain.figures import Quality
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
    TransferRequest,
)
from cstui.domain.rules import Rules
from cstui.errors import Conflict, CstuiError, Unavailable
from cstui.store import (
    agents,
    customers,
    feed,
    figures,
    floor,
    handover,
    idempotency,
    presence,
    queue,
)
from cstui.store.assist import AssistMethods
from cstui.store.automations.facade import AutomationMethods
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
from cstui.store.channels.facade import ChannelMethods
from cstui.store.commands import CUSTOMER_WORDS, handler_for, with_answers
from cstui.store.engine import (
    BACKEND_POOL,
    SINGLE_STATEMENTS,
    Pool,
    check_schema,
    driver_message,
    is_read_only,
    make_engine,
    normalise_url,
)
from cstui.store.tx import Clock, Tx

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")
Outcome = idempotency.Outcome

MAX_PAGE = queue.MAX_PAGE
LIVE_POLL_SECONDS = 0.5  # how often a live reader of a local store looks at the log's end

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


def _fields(ticket: NewTicket) -> dict[str, Any]:
    """A new ticket's fields, by name (those of `CreateTicket` too)."""
    return {f.name: getattr(ticket, f.name) for f in fields(ticket)}


def utcnow() -> datetime:
    return datetime.now(UTC)


class SqlStore(ChannelMethods, AutomationMethods, AssistMethods):
    """`HelpdeskStore` and `ChannelStore` over SQLAlchemy Core (tables in `schema.py`)."""

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
    def open(
        cls,
        target: str,
        *,
        rules: Rules | None = None,
        clock: Clock = utcnow,
        pool: Pool = BACKEND_POOL,
    ) -> SqlStore:
        """Open an existing store; a missing, corrupt or newer one is `Unavailable`."""
        url = normalise_url(target)
        engine = make_engine(url, pool)
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
            figures.defer(conn)  # the hour rows are written once, in key order, at the end
            try:
                with conn.begin():
                    yield conn
                    figures.flush(conn)
            finally:
                figures.discard(conn)

    def _tx(self, conn: Connection) -> Tx:
        return Tx(conn, self.rules, self.clock)

    def _writing(
        self, fn: Callable[Concatenate[Tx, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`fn(tx, …)` in one write transaction, committed when it returns."""
        with self._write() as conn:
            return fn(self._tx(conn), *args, **kwargs)

    def _reading(
        self, fn: Callable[Concatenate[Tx, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`fn(tx, …)` in one read transaction (one snapshot)."""
        with self._read() as conn:
            return fn(self._tx(conn), *args, **kwargs)

    def _single(
        self, fn: Callable[Concatenate[Tx, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`fn(tx, …)` whose statements each stand alone (no BEGIN: see `_read`)."""
        with self._read(single_statements=True) as conn:
            return fn(self._tx(conn), *args, **kwargs)

    # -- idempotent requests and the live feed (for the team server) ----------------------

    def run_once(
        self,
        *,
        actor: str,
        key: str,
        fingerprint: str,
        action: Callable[[], Outcome],
        refusal: Callable[[CstuiError], Outcome],
    ) -> tuple[Outcome, bool]:
        """`action` (→ status, body) once per idempotency key, and whether this is a replay.

        The key's claim, every store call `action` makes and the recorded outcome are one
        transaction (`store.idempotency`).
        """
        with self.transaction() as conn:
            return idempotency.run_once(
                self._tx(conn),
                actor=actor,
                key=key,
                fingerprint=fingerprint,
                action=action,
                refusal=refusal,
            )

    def last_event_id(self) -> int:
        """The newest event's id (0 for an empty log): where a live feed starts."""
        return self._reading(feed.last_event_id)

    def events_after(
        self,
        after: int,
        *,
        limit: int = 500,
        since: datetime | None = None,
        until: datetime | None = None,
        ticket_id: int | None = None,
    ) -> list[Event]:
        """Up to `limit` events with an id above `after`, oldest first (one keyset page)."""
        return self._reading(
            feed.events_after,
            after=after,
            limit=limit,
            since=since,
            until=until,
            ticket_id=ticket_id,
        )

    # -- presence and audited reveals -----------------------------------------------------

    def set_presence(self, *, actor: str, ticket_id: int | None) -> None:
        """Replace the agent's heartbeat; a store open for reading only keeps none."""
        if is_read_only(self.engine):
            return
        self._writing(presence.set_presence, actor=actor, ticket_id=ticket_id)

    def viewers(self, ticket_ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]:
        return self._reading(presence.viewers, ticket_ids=ticket_ids)

    def reveal_contact(
        self, customer_id: int, *, actor: str, ticket_id: int | None = None
    ) -> Customer:
        reveal = self._writing(
            presence.reveal_contact, customer_id=customer_id, actor=actor, ticket_id=ticket_id
        )
        if reveal.refused is not None:
            raise reveal.refused  # after the commit: the refusal is logged like a reveal
        return reveal.customer

    # -- agents ---------------------------------------------------------------------------

    def add_agent(
        self, name: str, role: Role, shift: Shift | None = None, display_name: str | None = None
    ) -> Agent:
        return self._writing(
            agents.add_agent, name=name, role=role, shift=shift, display_name=display_name
        )

    def get_agent(self, name: str) -> Agent:
        return self._reading(agents.get_agent, name=name)

    def list_agents(self) -> list[Agent]:
        return self._reading(agents.list_agents)

    def issue_token(self, name: str) -> str:
        """A new API token for the agent; only its hash is kept, so it is shown once."""
        return self._writing(agents.issue_token, name=name)

    def agent_for_token(self, token: str) -> Agent | None:
        return self._reading(agents.agent_for_token, token=token)

    def set_routing_paused(self, name: str, *, actor: str, paused: bool) -> Agent:
        return self._writing(agents.set_routing_paused, name=name, actor=actor, paused=paused)

    # -- customers and orders -------------------------------------------------------------

    def add_customer(self, customer: NewCustomer) -> Customer:
        return self._writing(customers.add_customer, customer=customer)

    def add_order(self, order: NewOrder) -> Order:
        return self._writing(customers.add_order, order=order)

    def get_customer(self, customer_id: int) -> Customer:
        return self._reading(customers.get_customer, customer_id=customer_id)

    def customer_orders(self, customer_id: int) -> list[Order]:
        return self._reading(customers.customer_orders, customer_id=customer_id)

    def retier_customers(self) -> int:
        """Re-rank every customer; returns how many changed tier."""
        return self._writing(customers.retier_customers)

    # -- tickets: reading -----------------------------------------------------------------

    def get_ticket(self, ticket_id: int, *, with_messages: bool = True) -> Ticket:
        return self._reading(queue.get_ticket, ticket_id=ticket_id, with_messages=with_messages)

    def ticket_owner(self, ticket_id: int) -> str | None:
        """Who owns the ticket (None: nobody yet): one small read, for deciding rights."""
        return self._single(queue.ticket_owner, ticket_id=ticket_id)

    def list_tickets(
        self, view: View, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[Ticket]:
        return self._single(queue.list_tickets, view=view, actor=actor, limit=limit, cursor=cursor)

    def count_tickets(self, view: View, *, actor: str | None) -> int:
        return self._single(queue.count_tickets, view=view, actor=actor)

    def search_tickets(
        self, query: str, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[TicketHit]:
        """Tickets matching `status:open tier:vip 退款` (see `store/ticket_search.py`)."""
        from cstui.store import ticket_search

        return self._reading(
            ticket_search.search_tickets, query=query, actor=actor, limit=limit, cursor=cursor
        )

    def customer_tickets(self, customer_id: int, *, limit: int = 20) -> list[Ticket]:
        return self._reading(queue.customer_tickets, customer_id=customer_id, limit=limit)

    def messages(self, ticket_id: int) -> list[Message]:
        return self._reading(Tx.messages, ticket_id)

    def pending_transfers(self) -> list[TransferRequest]:
        return self._reading(handover.pending_transfers)

    # -- tickets: writing -----------------------------------------------------------------

    def execute(self, cmd: Command[R]) -> R:
        """Apply one command (`cstui.domain.commands`): its checks, then its handler
        (`store/commands.py`) in one write transaction, which returns the result."""
        cmd.check()
        handler = handler_for(type(cmd))
        words = type(cmd) in CUSTOMER_WORDS  # `[assist]` may answer them: the index first
        if words and self.rules.assist.categories:
            return self._writing(with_answers, cmd, self._answers())
        result: R = self._writing(handler, cmd)
        return result

    # The protocol's named-argument writes: each builds its command.

    def create_ticket(self, ticket: NewTicket, *, actor: str | None = None) -> Ticket:
        return self.execute(C.CreateTicket(**_fields(ticket), actor=actor))

    def take(self, ticket_id: int, *, actor: str) -> Ticket:
        return self.execute(C.Take(ticket_id=ticket_id, actor=actor))

    def add_message(
        self,
        ticket_id: int,
        *,
        actor: str,
        kind: MessageKind,
        text: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        attachments: Sequence[NewAttachment] = (),
    ) -> Message:
        return self.execute(
            C.AddMessage(
                ticket_id=ticket_id,
                actor=actor,
                kind=kind,
                text=text,
                expected_version=expected_version,
                idempotency_key=idempotency_key,
                attachments=tuple(attachments),
            )
        )

    def customer_message(
        self, ticket_id: int, *, text: str, channel: Channel | None = None
    ) -> Message:
        """The customer wrote again: resumes a paused clock, reopens a resolved ticket."""
        return self.execute(C.CustomerMessage(ticket_id=ticket_id, text=text, channel=channel))

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
        return self.execute(
            C.Escalate(
                ticket_id=ticket_id,
                actor=actor,
                department=department,
                reason=reason,
                green=green,
                expected_version=expected_version,
            )
        )

    def update_escalation(
        self, escalation_id: int, *, actor: str, state: EscalationState, note: str | None = None
    ) -> Escalation:
        return self.execute(
            C.UpdateEscalation(escalation_id=escalation_id, actor=actor, state=state, note=note)
        )

    def transfer(
        self,
        ticket_id: int,
        *,
        actor: str,
        to: str,
        reason: str,
        expected_version: int | None = None,
    ) -> TransferOutcome:
        return self.execute(
            C.Transfer(
                ticket_id=ticket_id,
                actor=actor,
                to=to,
                reason=reason,
                expected_version=expected_version,
            )
        )

    def decide_transfer(
        self, request_id: int, *, actor: str, approve: bool, note: str | None = None
    ) -> TransferRequest:
        return self.execute(
            C.DecideTransfer(request_id=request_id, actor=actor, approve=approve, note=note)
        )

    def steal(self, ticket_id: int, *, actor: str, reason: str) -> Ticket:
        """A supervisor takes a ticket from its owner; audited with the reason."""
        return self.execute(C.Steal(ticket_id=ticket_id, actor=actor, reason=reason))

    def merge_tickets(self, ticket_id: int, *, into: int, actor: str) -> Ticket:
        """Merge a duplicate into another ticket of the same customer (`store/merge.py`)."""
        return self.execute(C.Merge(ticket_id=ticket_id, actor=actor, into=into))

    def link_tickets(self, ticket_id: int, other_id: int, *, actor: str) -> Ticket:
        return self.execute(C.Link(ticket_id=ticket_id, actor=actor, other=other_id))

    def set_status(
        self, ticket_id: int, *, actor: str, status: Status, expected_version: int | None = None
    ) -> Ticket:
        return self.execute(
            C.SetStatus(
                ticket_id=ticket_id, actor=actor, status=status, expected_version=expected_version
            )
        )

    def set_priority(
        self,
        ticket_id: int,
        *,
        actor: str,
        priority: Priority,
        expected_version: int | None = None,
    ) -> Ticket:
        return self.execute(
            C.SetPriority(
                ticket_id=ticket_id,
                actor=actor,
                priority=priority,
                expected_version=expected_version,
            )
        )

    def set_green_channel(self, ticket_id: int, *, actor: str, reason: str) -> Ticket:
        return self.execute(C.GreenChannel(ticket_id=ticket_id, actor=actor, reason=reason))

    def register_complaint(self, ticket_id: int, *, actor: str, cause: ComplaintCause) -> Ticket:
        return self.execute(C.RegisterComplaint(ticket_id=ticket_id, actor=actor, cause=cause))

    def resolve(
        self,
        ticket_id: int,
        *,
        actor: str,
        code: ResolutionCode,
        override: bool = False,
        expected_version: int | None = None,
    ) -> Ticket:
        return self.execute(
            C.Resolve(
                ticket_id=ticket_id,
                actor=actor,
                code=code,
                override=override,
                expected_version=expected_version,
            )
        )

    def record_csat(self, ticket_id: int, *, score: int) -> None:
        self.execute(C.RecordCsat(ticket_id=ticket_id, score=score))

    def schedule_follow_up(self, ticket_id: int, *, actor: str, due: datetime) -> Ticket:
        return self.execute(C.ScheduleFollowUp(ticket_id=ticket_id, actor=actor, due=due))

    def complete_follow_up(self, ticket_id: int, *, actor: str, note: str) -> Ticket:
        return self.execute(C.CompleteFollowUp(ticket_id=ticket_id, actor=actor, note=note))

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
        after = 0
        while True:
            chunk = self.events_after(
                after, limit=batch, since=since, until=until, ticket_id=ticket_id
            )
            yield from chunk
            if len(chunk) < batch:
                return
            after = chunk[-1].id

    def live_events(self, *, poll: float = LIVE_POLL_SECONDS) -> Iterator[Event | None]:
        """The log from now on, looked at every `poll` seconds (one indexed read of the
        events after the last one seen); None after each look that found nothing new."""
        after = self.last_event_id()
        while True:
            found = self.events_after(after, limit=500)
            yield from found
            if found:
                after = found[-1].id
            if len(found) < 500:
                yield None
                time.sleep(poll)

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
        ids = self._reading(feed.window_tickets, since=since, until=until)
        for start in range(0, len(ids), batch):
            yield from self._reading(feed.events_of, ticket_ids=ids[start : start + batch])

    def quality(self, *, since: datetime | None, until: datetime | None) -> Quality:
        """The quality figures of [since, until), from the sums kept with the log."""
        with self._read() as conn:
            return figures.quality(conn, since=since, until=until)

    def rebuild_figures(self) -> dict[str, int]:
        """The kept figures made again from the log alone (`cstui metrics rebuild`)."""
        with self._write() as conn:
            return figures.rebuild(conn)

    # -- the supervisor's monitor (store/floor.py) ---------------------------------------

    def queue_depth(self) -> QueueDepth:
        return self._reading(floor.queue_depth)

    def sla_breached(self) -> int:
        return self._reading(floor.breached_count)

    def green_board(self, *, limit: int = 50) -> list[GreenTicket]:
        return self._reading(floor.green_board, limit=min(limit, MAX_PAGE))

    def waiting_escalations(self, *, limit: int = 200) -> list[WaitingEscalation]:
        return self._reading(floor.waiting_escalations, limit=min(limit, MAX_PAGE))

    def agent_loads(self) -> list[AgentLoad]:
        return self._reading(floor.agent_loads)

    # -- moving data in and out -----------------------------------------------------------

    def export_records(self) -> Iterator[dict[str, Any]]:
        from cstui.store import transfer

        return transfer.export_records(self.engine)

    def import_records(self, records: Iterable[tuple[int, dict[str, Any]]]) -> dict[str, int]:
        from cstui.store import transfer

        return transfer.import_records(self.engine, records)

    # -- the knowledge base (store/kb: articles, capture, the dialect's search index) -------
    # Its modules (the segmenter; multiprocessing for bulk indexing), like ticket search and
    # export, are imported on first use: opening a store for the console's queue needs none.

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
        from cstui.store.kb import articles

        new = NewArticle(title, body, kind, lang, tuple(tags), category)
        return self._writing(articles.add_article, new=new, actor=actor)

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
        from cstui.store.kb import articles

        return self._writing(
            articles.update_article,
            article_id=article_id,
            actor=actor,
            title=title,
            body=body,
            tags=tags,
            expected_version=expected_version,
        )

    def capture_article(self, ticket_id: int, *, actor: str) -> Article:
        from cstui.store.kb import capture

        return self._writing(capture.capture_article, ticket_id=ticket_id, actor=actor)

    def publish_article(self, article_id: int, *, actor: str) -> Article:
        from cstui.store.kb import articles

        return self._writing(articles.publish_article, article_id=article_id, actor=actor)

    def get_article(self, article_id: int) -> Article:
        from cstui.store.kb import articles

        return self._reading(articles.get_article, article_id=article_id)

    def find_template(self, name: str, *, lang: ArticleLang | None = None) -> Article:
        from cstui.store.kb import articles

        return self._reading(articles.find_template, name=name, lang=lang)

    def search_articles(
        self,
        query: str,
        *,
        limit: int = 20,
        kind: ArticleKind | None = None,
        lang: ArticleLang | None = None,
        include_drafts: bool = False,
    ) -> list[SearchHit]:
        from cstui.store.kb import articles

        return self._reading(
            articles.search_articles,
            query=query,
            limit=limit,
            kind=kind,
            lang=lang,
            include_drafts=include_drafts,
        )

    def search_articles_unranked(
        self, query: str, *, limit: int = 20, include_drafts: bool = False
    ) -> list[SearchHit]:
        from cstui.store.kb import articles

        return self._reading(
            articles.search_articles_unranked,
            query=query,
            limit=limit,
            include_drafts=include_drafts,
        )

    def count_matches(self, query: str, *, include_drafts: bool = False) -> int:
        """How many articles match (for a result count; it reads every match)."""
        from cstui.store.kb import articles

        return self._reading(articles.count_matches, query=query, include_drafts=include_drafts)

    def bulk_add_articles(
        self,
        rows: Iterable[NewArticle],
        *,
        batch: int | None = None,
        workers: int | None = None,
    ) -> int:
        """Insert and index many articles in one transaction (`store/kb/bulk.py`)."""
        from cstui.store.kb import bulk

        size = bulk.BULK_BATCH if batch is None else batch
        return self._writing(bulk.bulk_add_articles, rows=rows, batch=size, workers=workers)


__all__ = ["Clock", "SqlStore", "utcnow"]
