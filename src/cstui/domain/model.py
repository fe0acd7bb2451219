"""The vocabulary of the helpdesk: enums and immutable value objects.

Everything here is plain data. The store returns these objects, the rules in the sibling
modules reason about them, and the console renders them. Datetimes are timezone-aware (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar


class Status(StrEnum):
    NEW = "new"  # nobody has taken it yet
    OPEN = "open"  # an agent owns it and works it
    PENDING = "pending"  # waiting on the customer: SLA clocks pause
    ON_HOLD = "on_hold"  # waiting on a department: SLA clocks keep running
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Channel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    APP = "app"
    SOCIAL = "social"


class Category(StrEnum):
    LOGISTICS = "logistics"  # 查询物流
    ADDRESS = "address"  # 修改地址
    RETURN = "return"  # 退换货
    REFUND = "refund"  # 退款
    REPAIR = "repair"  # 维修
    PARTS = "parts"  # 配件调配
    INVOICE = "invoice"  # 发票
    PROMOTION = "promotion"  # 优惠券/促销活动
    PRODUCT = "product"  # 产品咨询
    ACCOUNT = "account"  # 账户/支付安全
    COMPLAINT = "complaint"  # 投诉


# Questions the documents expect to be solved at first contact (98%).
BASIC_CATEGORIES = frozenset({Category.LOGISTICS, Category.ADDRESS})


class Tier(StrEnum):
    VIP = "vip"
    FIRST_COMPLAINT = "first_complaint"  # 首次投诉客户
    PRIOR_COMPLAINANT = "prior_complainant"  # complained before
    HIGH_AOV = "high_aov"  # 高客单价客户
    HIGH_FREQUENCY = "high_frequency"  # 高频购买客户
    NEW = "new"  # 新客户
    STANDARD = "standard"


# The order in which tiers are served when everything else is equal (lower first).
TIER_RANK = {
    Tier.VIP: 0,
    Tier.FIRST_COMPLAINT: 1,
    Tier.PRIOR_COMPLAINANT: 2,
    Tier.HIGH_AOV: 3,
    Tier.HIGH_FREQUENCY: 4,
    Tier.NEW: 5,
    Tier.STANDARD: 6,
}

# Key customers: a 100% follow-up reach rate (触达率) is expected for them.
KEY_TIERS = frozenset({Tier.VIP, Tier.FIRST_COMPLAINT, Tier.PRIOR_COMPLAINANT})


class Department(StrEnum):
    WAREHOUSE = "warehouse"  # 仓储部
    QC = "qc"  # 质检部
    LOGISTICS = "logistics"  # 物流
    REPAIR = "repair"  # 维修/配件
    TECH = "tech"  # 技术部
    MARKETING = "marketing"  # 市场部
    FINANCE = "finance"  # 财务
    SUPERVISOR = "supervisor"  # 客服主管


class EscalationState(StrEnum):
    REQUESTED = "requested"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    REJECTED = "rejected"


OPEN_ESCALATION_STATES = frozenset({EscalationState.REQUESTED, EscalationState.ACKNOWLEDGED})


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


class Shift(StrEnum):
    MORNING = "morning"
    EVENING = "evening"
    NIGHT = "night"


class GoodsType(StrEnum):
    GENERAL = "general"
    FRESH = "fresh"  # 生鲜: green channel
    MEDICAL = "medical"  # 医疗设备: green channel
    ELECTRONICS = "electronics"
    APPAREL = "apparel"


GREEN_GOODS = frozenset({GoodsType.FRESH, GoodsType.MEDICAL})


class ComplaintCause(StrEnum):
    PROCESS = "process"  # 流程缺陷
    ATTITUDE = "attitude"  # 服务态度
    PRODUCT_QUALITY = "product_quality"  # 产品/服务质量
    INFO_NOT_PASSED = "info_not_passed"  # 信息传递不及时
    EXPECTATION = "expectation"  # 期望过高


class ResolutionCode(StrEnum):
    SOLVED = "solved"
    INFO_PROVIDED = "info_provided"
    REFUNDED = "refunded"
    REPLACED = "replaced"
    REPAIRED = "repaired"
    COMPENSATED = "compensated"
    REJECTED = "rejected"  # the request was outside policy
    DUPLICATE = "duplicate"
    NO_RESPONSE = "no_response"


class MessageKind(StrEnum):
    CUSTOMER = "customer"  # from the customer, on the ticket's or another channel
    REPLY = "reply"  # from an agent to the customer
    NOTE = "note"  # internal note, never shown to the customer


class EventKind(StrEnum):
    """Every change is one append-only event; metrics are computed from these."""

    CREATED = "created"
    TAKEN = "taken"
    TRANSFER_REQUESTED = "transfer_requested"
    TRANSFER_APPROVED = "transfer_approved"
    TRANSFER_DENIED = "transfer_denied"
    TRANSFERRED = "transferred"  # immediate transfer where approval is not required
    STOLEN = "stolen"  # supervisor took ownership from another agent (audited)
    ROUTED = "routed"  # a returning customer's ticket went straight to the earlier owner
    STATUS = "status"
    PRIORITY = "priority"
    CUSTOMER_MESSAGE = "customer_message"
    REPLY = "reply"
    NOTE = "note"
    ESCALATED = "escalated"
    ESCALATION_STATE = "escalation_state"
    GREEN_CHANNEL = "green_channel"
    COMPLAINT = "complaint"
    COMPLAINT_WARNING = "complaint_warning"  # 投诉预警 raised on a new contact: new["reasons"]
    RESOLVED = "resolved"
    RESOLVE_OVERRIDE = "resolve_override"  # resolved despite an open escalation (audited)
    REOPENED = "reopened"
    CLOSED = "closed"
    FOLLOW_UP_SCHEDULED = "follow_up_scheduled"
    FOLLOW_UP_DONE = "follow_up_done"
    CSAT = "csat"
    MERGED = "merged"
    LINKED = "linked"
    PII_REVEALED = "pii_revealed"
    REVEAL_REFUSED = "reveal_refused"  # a refused reveal: new["customer_id"], new["reason"]
    AGENT_ADDED = "agent_added"
    ARTICLE_ADDED = "article_added"  # knowledge base; ticket_id is None, new["article_id"]
    ARTICLE_EDITED = "article_edited"
    ARTICLE_PUBLISHED = "article_published"  # a draft became searchable: new["article_id"]
    ROUTING_PAUSED = "routing_paused"  # a supervisor paused or resumed an agent: new["paused"]
    ARTICLES_LOADED = "articles_loaded"  # a bulk load (seed, demo): new["count"], id range
    AUTOMATION = "automation"  # a rule acted on its own (`domain.automations`), actor "system"
    AUTO_ANSWERED = "auto_answered"  # a common question answered (or drafted) on its own
    CATEGORY = "category"  # an agent filed the ticket under another category


# Events that give a ticket a new owner (their payloads are `events.OwnerChange`).
OWNERSHIP_EVENTS = frozenset(
    {
        EventKind.TAKEN,
        EventKind.TRANSFER_APPROVED,
        EventKind.TRANSFERRED,
        EventKind.STOLEN,
        EventKind.ROUTED,
    }
)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the append-only log: who did what to which ticket, and when.

    `old` and `new` are the payload's two JSON objects, as stored; `cstui.domain.events`
    defines each kind's fields (`events.payload(event)` reads them as its class).
    """

    id: int
    ticket_id: int | None
    actor: str | None
    at: datetime
    kind: EventKind
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    name: str
    role: Role
    shift: Shift | None = None
    display_name: str | None = None
    routing_paused: bool = False


@dataclass(frozen=True, slots=True)
class Order:
    number: str
    customer_id: int
    amount: float
    goods_type: GoodsType
    placed_at: datetime
    tracking_no: str | None = None
    logistics_status: str | None = None  # e.g. in_transit, delivered, returned, exception


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    name: str
    tier: Tier
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    annual_spend: float = 0.0
    order_count: int = 0
    complaint_count: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Escalation:
    id: int
    ticket_id: int
    department: Department
    reason: str
    state: EscalationState
    green: bool
    requested_by: str
    created_at: datetime
    due_at: datetime
    updated_at: datetime | None = None
    notes: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_ESCALATION_STATES


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    ticket_id: int
    kind: MessageKind
    channel: Channel
    author: str
    body: str
    created_at: datetime
    delivery: MessageDelivery | None = None  # a reply's way to the customer (the outbox)
    attachments: tuple[MessageFile, ...] = ()


class DeliveryState(StrEnum):
    QUEUED = "queued"  # waiting for a worker (or for its next attempt)
    SENT = "sent"
    FAILED = "failed"  # a permanent failure, or the attempts ran out; `error` says why


@dataclass(frozen=True, slots=True)
class MessageDelivery:
    """How a reply's delivery stands, as its message in the thread carries it."""

    state: DeliveryState
    error: str | None  # why it failed, or the last attempt's error
    attempts: int
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageFile:
    """A file that came or went with a message, as the thread lists it (bytes by id)."""

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class SlaDue:
    """Every deadline, kept separately (None when it does not apply now)."""

    first_response: datetime | None = None
    next_response: datetime | None = None
    resolution: datetime | None = None
    # The green channel's own deadline (2 h from entering it); None off the channel. Not an
    # SLA clock: it never pauses, and the queue already puts green tickets first.
    green: datetime | None = None

    def nearest(self) -> datetime | None:
        dues = [d for d in (self.first_response, self.next_response, self.resolution) if d]
        return min(dues) if dues else None

    def headline(self) -> datetime | None:
        """The one countdown a list row shows: the green channel's own when on it."""
        return self.green or self.nearest()


@dataclass(frozen=True, slots=True)
class TransferRequest:
    id: int
    ticket_id: int
    from_owner: str | None
    to_agent: str
    reason: str
    requested_by: str
    created_at: datetime
    state: str  # pending, approved, denied


@dataclass(frozen=True, slots=True)
class TicketTriage:
    """What triage read the customer's latest words as, when they arrived (from the log)."""

    category: Category
    priority: Priority
    risk: str  # low | medium | high
    green: bool  # a green-channel candidate
    reasons: tuple[str, ...] = ()  # "category: words 快递, 到哪" and the like


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    subject: str
    status: Status
    priority: Priority
    channel: Channel
    category: Category
    customer: Customer
    owner: str | None
    dispatch_count: int
    version: int
    green_channel: bool
    created_at: datetime
    updated_at: datetime
    due: SlaDue
    order: Order | None = None
    escalations: tuple[Escalation, ...] = ()
    links: tuple[int, ...] = ()
    complaint_cause: ComplaintCause | None = None
    second_complaint: bool = False
    follow_up_due: datetime | None = None
    resolution_code: ResolutionCode | None = None
    resolved_at: datetime | None = None
    merged_into: int | None = None
    # The agent a transfer waiting for a supervisor's approval would hand it to (None: none).
    pending_transfer: str | None = None
    messages: tuple[Message, ...] = field(default=(), compare=False)
    triage: TicketTriage | None = field(default=None, compare=False)  # read with the thread

    @property
    def open_escalations(self) -> tuple[Escalation, ...]:
        return tuple(e for e in self.escalations if e.is_open)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class MatchField(StrEnum):
    """Where a ticket search found its words; the order of the result tiers."""

    ID = "id"
    ORDER = "order"
    TRACKING = "tracking"
    PHONE = "phone"  # the customer's phone (shown by its last four digits only)
    SUBJECT = "subject"
    CUSTOMER = "customer"  # the customer's name
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class TicketMatch:
    """The text a search matched, with (start, end) spans of the matching words in it."""

    field: MatchField
    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def marked(self, open_: str = "[", close: str = "]") -> str:
        out, pos = [], 0
        for start, end in self.highlights:
            out += [self.text[pos:start], open_, self.text[start:end], close]
            pos = end
        return "".join([*out, self.text[pos:]])


@dataclass(frozen=True, slots=True)
class TicketHit:
    """One ticket search result; `match` is None when the query had filters only."""

    ticket: Ticket
    match: TicketMatch | None = None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One keyset page: the items and an opaque cursor for the next page (None at the end)."""

    items: tuple[T, ...]
    next_cursor: str | None


# -- the knowledge base (知识库) ------------------------------------------------------------


class ArticleKind(StrEnum):
    FAQ = "faq"  # an answer to a high-frequency question
    TEMPLATE = "template"  # a quick-response template (快速响应模板), with {placeholders}
    CASE = "case"  # a warm service case (温暖服务案例)


class ArticleLang(StrEnum):
    ZH = "zh"
    EN = "en"


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    kind: ArticleKind
    title: str
    body: str
    lang: ArticleLang
    tags: tuple[str, ...]
    category: Category | None
    author: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    # A draft (captured from a ticket) is left out of searches until a supervisor publishes it.
    draft: bool = False
    source_ticket_id: int | None = None  # the ticket a captured article came from


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result. Highlights are (start, end) spans into `title` and `snippet`.

    The snippet is plain text (whitespace collapsed, `…` where cut) around the first match;
    `marked()` renders the highlights with `[` `]` or any other pair of markers.
    """

    article_id: int
    title: str
    snippet: str
    kind: ArticleKind
    lang: ArticleLang
    score: float | None  # higher is better; None for unranked hits
    highlights: tuple[tuple[int, int], ...] = ()
    title_highlights: tuple[tuple[int, int], ...] = ()

    def marked(self, open_: str = "[", close: str = "]", *, title: bool = False) -> str:
        text, spans = (
            (self.title, self.title_highlights) if title else (self.snippet, self.highlights)
        )
        out, at = [], 0
        for start, end in spans:
            out += [text[at:start], open_, text[start:end], close]
            at = end
        return "".join([*out, text[at:]])
