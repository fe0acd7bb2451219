"""The one seam between the helpdesk's users (console, CLI, server) and its data.

`HelpdeskStore` is a Protocol: the SQL store implements it for SQLite and PostgreSQL, and
the HTTP store for a team server. Callers name the acting agent on every write; the store
looks up the agent's role and applies the domain rules inside one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cstui.domain.channels import (
    Attachment,
    Delivery,
    DeliveryState,
    Inbound,
    IngestOutcome,
    NewAttachment,
    Outbound,
)
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
    TransferRequest,
)
from cstui.errors import BadInput

if TYPE_CHECKING:
    # Only the protocol's signatures name these: the commands, the figures and the ranking
    # are not imported with the protocol (the console's first paint needs none of them).
    from cstui.assist.ranking import Suggestions
    from cstui.domain.automations import Notification
    from cstui.domain.commands import Command, TransferOutcome
    from cstui.domain.figures import Quality

R = TypeVar("R")


def __getattr__(name: str) -> Any:
    """TransferOutcome is defined with the commands (a transfer's result) and imported
    from here too, on first use."""
    if name == "TransferOutcome":
        from cstui.domain.commands import TransferOutcome

        return TransferOutcome
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class View(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL_OPEN = "all-open"
    VIP = "vip"
    GREEN = "green"
    SLA_RISK = "sla-risk"
    ESCALATED = "escalated"
    FOLLOW_UP = "follow-up"
    CLOSED = "closed"

    @classmethod
    def parse(cls, value: str) -> View:
        try:
            return cls(value)
        except ValueError:
            names = " ".join(v.value for v in cls)
            raise BadInput(f"view: unknown view {value!r} (one of: {names})") from None


# The views whose depth the monitor and the metrics scrape count (each by its own partial
# index): the team's queues, not one agent's.
DEPTH_VIEWS = (
    View.UNASSIGNED,
    View.ALL_OPEN,
    View.VIP,
    View.GREEN,
    View.SLA_RISK,
    View.ESCALATED,
)


@dataclass(frozen=True, slots=True)
class NewCustomer:
    name: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewOrder:
    number: str
    customer_id: int
    amount: float
    goods_type: GoodsType = GoodsType.GENERAL
    placed_at: datetime | None = None
    tracking_no: str | None = None
    logistics_status: str | None = None


@dataclass(frozen=True, slots=True)
class NewTicket:
    customer_id: int
    subject: str
    body: str
    channel: Channel
    category: Category
    priority: Priority = Priority.NORMAL
    order_number: str | None = None
    complaint_cause: ComplaintCause | None = None


@dataclass(frozen=True, slots=True)
class NewArticle:
    """A knowledge-base article to add (`add_article`, or in bulk `SqlStore.bulk_add_articles`)."""

    title: str
    body: str
    kind: ArticleKind = ArticleKind.FAQ
    lang: ArticleLang = ArticleLang.ZH
    tags: tuple[str, ...] = ()
    category: Category | None = None
    author: str | None = None
    created_at: datetime | None = None
    draft: bool = False
    source_ticket_id: int | None = None


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """Open work counted for the supervisor's monitor, each by one aggregate query."""

    views: dict[str, int]  # per queue view (unassigned, all-open, vip, green, sla-risk, …)
    channels: dict[str, int]  # open tickets per channel
    tiers: dict[str, int]  # open tickets per customer tier
    breached: int  # open tickets past their nearest SLA deadline


@dataclass(frozen=True, slots=True)
class GreenTicket:
    """An open ticket on the green channel and when its 2-hour solution is due."""

    ticket_id: int
    subject: str
    owner: str | None
    since: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class WaitingEscalation:
    """An escalation still with its department (requested or acknowledged)."""

    id: int
    ticket_id: int
    subject: str
    owner: str | None
    department: Department
    reason: str
    state: EscalationState
    green: bool
    created_at: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class FirstLook:
    """What a console shows before its store is open: the acting agent and the first page
    of its opening view, read from a local store without the store's SQL layer
    (`cstui.store.glance`); the store reads them again once open."""

    agent: Agent
    view: View
    page: Page[Ticket]


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """An agent as the monitor shows them: open tickets, presence, paused routing."""

    name: str
    role: Role
    shift: Shift | None
    routing_paused: bool
    open_tickets: int
    seen_at: datetime | None  # the console's last heartbeat
    viewing: int | None  # the ticket open in their console


class HelpdeskStore(Protocol):
    """Everything the console, the CLI and the server may ask of the data."""

    # -- lifecycle ----------------------------------------------------------------------
    def close(self) -> None: ...

    # -- agents -------------------------------------------------------------------------
    def add_agent(
        self, name: str, role: Role, shift: Shift | None = None, display_name: str | None = None
    ) -> Agent: ...
    def get_agent(self, name: str) -> Agent: ...
    def list_agents(self) -> list[Agent]: ...
    def issue_token(self, name: str) -> str: ...
    def agent_for_token(self, token: str) -> Agent | None: ...

    # -- customers and orders -----------------------------------------------------------
    def add_customer(self, customer: NewCustomer) -> Customer: ...
    def add_order(self, order: NewOrder) -> Order: ...
    def get_customer(self, customer_id: int) -> Customer: ...
    def customer_orders(self, customer_id: int) -> list[Order]: ...
    def retier_customers(self) -> int: ...

    # -- tickets: reading ---------------------------------------------------------------
    def get_ticket(self, ticket_id: int, *, with_messages: bool = True) -> Ticket: ...
    def ticket_owner(self, ticket_id: int) -> str | None: ...
    def list_tickets(
        self, view: View, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[Ticket]: ...
    def count_tickets(self, view: View, *, actor: str | None) -> int: ...
    def search_tickets(
        self, query: str, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[TicketHit]: ...
    def customer_tickets(self, customer_id: int, *, limit: int = 20) -> list[Ticket]: ...
    def messages(self, ticket_id: int) -> list[Message]: ...
    def pending_transfers(self) -> list[TransferRequest]: ...

    # -- tickets: writing (each one transaction, one or more events) ---------------------
    # Every write is a command (`cstui.domain.commands`) applied by `execute`; the methods
    # below build one and execute it, for the callers that name arguments.
    def execute(self, cmd: Command[R]) -> R: ...
    def create_ticket(self, ticket: NewTicket, *, actor: str | None = None) -> Ticket: ...
    def take(self, ticket_id: int, *, actor: str) -> Ticket: ...
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
    ) -> Message: ...
    def customer_message(
        self, ticket_id: int, *, text: str, channel: Channel | None = None
    ) -> Message: ...
    def escalate(
        self,
        ticket_id: int,
        *,
        actor: str,
        department: Department,
        reason: str,
        green: bool = False,
        expected_version: int | None = None,
    ) -> Escalation: ...
    def update_escalation(
        self, escalation_id: int, *, actor: str, state: EscalationState, note: str | None = None
    ) -> Escalation: ...
    def transfer(
        self,
        ticket_id: int,
        *,
        actor: str,
        to: str,
        reason: str,
        expected_version: int | None = None,
    ) -> TransferOutcome: ...
    def decide_transfer(
        self, request_id: int, *, actor: str, approve: bool, note: str | None = None
    ) -> TransferRequest: ...
    def steal(self, ticket_id: int, *, actor: str, reason: str) -> Ticket: ...
    def merge_tickets(self, ticket_id: int, *, into: int, actor: str) -> Ticket: ...
    def link_tickets(self, ticket_id: int, other_id: int, *, actor: str) -> Ticket: ...
    def set_status(
        self, ticket_id: int, *, actor: str, status: Status, expected_version: int | None = None
    ) -> Ticket: ...
    def set_priority(
        self,
        ticket_id: int,
        *,
        actor: str,
        priority: Priority,
        expected_version: int | None = None,
    ) -> Ticket: ...
    def set_green_channel(self, ticket_id: int, *, actor: str, reason: str) -> Ticket: ...
    def register_complaint(
        self, ticket_id: int, *, actor: str, cause: ComplaintCause
    ) -> Ticket: ...
    def resolve(
        self,
        ticket_id: int,
        *,
        actor: str,
        code: ResolutionCode,
        override: bool = False,
        expected_version: int | None = None,
    ) -> Ticket: ...
    def record_csat(self, ticket_id: int, *, score: int) -> None: ...
    def schedule_follow_up(self, ticket_id: int, *, actor: str, due: datetime) -> Ticket: ...
    def complete_follow_up(self, ticket_id: int, *, actor: str, note: str) -> Ticket: ...

    # -- files and deliveries (a reply to a reachable customer is queued with it) ----------
    def attachments(self, ticket_id: int) -> list[Attachment]: ...
    def attachment(self, attachment_id: int) -> tuple[Attachment, bytes]: ...
    def deliveries(
        self,
        *,
        ticket_id: int | None = None,
        state: DeliveryState | None = None,
        limit: int = 100,
    ) -> list[Delivery]: ...

    # -- the knowledge base (each write one transaction with its event; searchable at once) --
    # A captured article is a draft: searches leave it out (unless `include_drafts`) until a
    # supervisor publishes it. A template's name is its slug (first tag) or its id.
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
    ) -> Article: ...
    def update_article(
        self,
        article_id: int,
        *,
        actor: str,
        title: str | None = None,
        body: str | None = None,
        tags: Iterable[str] | None = None,
        expected_version: int | None = None,
    ) -> Article: ...
    def capture_article(self, ticket_id: int, *, actor: str) -> Article: ...
    def publish_article(self, article_id: int, *, actor: str) -> Article: ...
    def get_article(self, article_id: int) -> Article: ...
    def find_template(self, name: str, *, lang: ArticleLang | None = None) -> Article: ...
    def search_articles(
        self,
        query: str,
        *,
        limit: int = 20,
        kind: ArticleKind | None = None,
        lang: ArticleLang | None = None,
        include_drafts: bool = False,
    ) -> list[SearchHit]: ...
    def search_articles_unranked(
        self, query: str, *, limit: int = 20, include_drafts: bool = False
    ) -> list[SearchHit]: ...
    # The triage and the likeliest answers for a ticket's last customer message (templates
    # filled from the ticket) or for a text; exactly one of the two.
    def suggest(
        self,
        ticket_id: int | None = None,
        *,
        text: str | None = None,
        limit: int = 3,
        kind: ArticleKind | None = None,
    ) -> Suggestions: ...

    # -- presence (who has which ticket open) and audited reveals -------------------------
    def set_presence(self, *, actor: str, ticket_id: int | None) -> None: ...
    def viewers(self, ticket_ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]: ...
    def reveal_contact(
        self, customer_id: int, *, actor: str, ticket_id: int | None = None
    ) -> Customer: ...

    # -- the supervisor's monitor: aggregates only, never every ticket ----------------------
    def queue_depth(self) -> QueueDepth: ...
    def green_board(self, *, limit: int = 50) -> list[GreenTicket]: ...
    def waiting_escalations(self, *, limit: int = 200) -> list[WaitingEscalation]: ...
    def agent_loads(self) -> list[AgentLoad]: ...
    # The acting agent's own notifications (over HTTP the token decides whose).
    def notifications(
        self, *, actor: str, unread_only: bool = False, limit: int = 50
    ) -> list[Notification]: ...
    def mark_read(self, *, actor: str, ids: Iterable[int]) -> int: ...
    # How many times each automation rule fired from `since` on (a count, not the rows).
    def automations_fired(self, *, since: datetime) -> dict[str, int]: ...
    def set_routing_paused(self, name: str, *, actor: str, paused: bool) -> Agent: ...

    # -- the log, and moving data in and out --------------------------------------------
    def events(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        ticket_id: int | None = None,
    ) -> Iterator[Event]: ...
    def window_events(self, *, since: datetime, until: datetime) -> Iterator[Event]: ...
    # The log as it is written, from now on: each new event, and None at each quiet moment
    # (nothing new for a while), where a reader may stop. Runs until the store is closed.
    def live_events(self) -> Iterator[Event | None]: ...

    # The quality figures of [since, until) (either end open), team and per agent.
    def quality(self, *, since: datetime | None, until: datetime | None) -> Quality: ...
    def export_records(self) -> Iterator[dict[str, Any]]: ...
    def import_records(self, records: Iterable[tuple[int, dict[str, Any]]]) -> dict[str, int]: ...


class ChannelStore(Protocol):
    """What the channel workers (mail poller, senders, intake) ask of a local store."""

    def ingest(self, message: Inbound) -> IngestOutcome: ...
    def claim_deliveries(
        self, *, channels: Collection[Channel], limit: int, lease: timedelta
    ) -> list[Outbound]: ...
    def delivery_sent(self, delivery_id: int) -> None: ...
    def delivery_failed(
        self, delivery_id: int, *, error: str, retry_at: datetime | None
    ) -> DeliveryState: ...
    def delivery_counts(self) -> dict[DeliveryState, int]: ...
    def attachment(self, attachment_id: int) -> tuple[Attachment, bytes]: ...
    def mailbox_cursor(self, name: str) -> tuple[int, int] | None: ...
    def save_mailbox_cursor(self, name: str, *, uidvalidity: int, last_uid: int) -> None: ...
    def transaction(self) -> AbstractContextManager[object]:
        """One transaction the calls inside it join (`SqlStore.transaction`)."""
        ...
