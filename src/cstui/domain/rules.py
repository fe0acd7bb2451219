"""The bundle of policies one store applies: calendar, SLA, escalation, tiers, follow-up,
channels, automatic answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from cstui.domain.calendar import BusinessCalendar
from cstui.domain.complaints import FollowUpPolicy
from cstui.domain.escalation import EscalationPolicy
from cstui.domain.model import Category
from cstui.domain.ownership import RETURNING_CUSTOMER_WINDOW
from cstui.domain.sla import SlaPolicy
from cstui.domain.tiers import TierThresholds

DEFAULT_ATTACHMENT_LIMIT = 20 * 1024 * 1024  # bytes a file


# The categories whose questions are answered the same for everyone: the safe defaults to
# switch on automatic answers for. Refunds, repairs, returns and complaints need a person.
ANSWERABLE = frozenset(
    {
        Category.LOGISTICS,
        Category.ADDRESS,
        Category.INVOICE,
        Category.PROMOTION,
        Category.PRODUCT,
        Category.ACCOUNT,
    }
)


@dataclass(frozen=True, slots=True)
class AssistPolicy:
    """What may be answered automatically, and how sure the answer must be (`[assist]`)."""

    categories: frozenset[Category] = frozenset()  # none: off by default
    min_score: float = 8.0  # the best article's score
    min_margin: float = 2.5  # the best over the second best (1.5 let a wrong one through on dev)
    min_confidence: float = 0.75  # the category's share of the two best category scores
    review: bool = False  # prepare a draft (a note for the owner) instead of sending

    @classmethod
    def all_on(cls) -> AssistPolicy:
        """Every category that may be: what the benchmark measures."""
        return cls(categories=ANSWERABLE)


@dataclass(frozen=True)
class ChannelPolicy:
    """How mail and chat thread into tickets and what goes back (`[channels]` settings)."""

    address: str = "support@example.com"  # the team's address; its domain ends our ids
    display_name: str = "Customer Service"
    tag_prefix: str = "#"  # "[#1234]" in subjects
    thread_window: timedelta = timedelta(days=7)  # same sender + subject on an open ticket
    reopen_window: timedelta = timedelta(days=7)  # a reply this soon after resolving reopens
    acknowledge_new: bool = False  # "we received your request" to a new ticket's sender
    acknowledge_per_hour: int = 3  # at most this many acknowledgements to one sender an hour
    attachment_max_bytes: int = DEFAULT_ATTACHMENT_LIMIT
    max_attempts: int = 8  # deliveries: then failed
    survey: bool = True  # ask for CSAT once when a ticket is resolved
    category: Category = Category.PRODUCT  # of a ticket opened by a message (triage refines)

    @property
    def domain(self) -> str:
        """Where our message ids come from (the address's domain)."""
        return self.address.rpartition("@")[2] or "cstui.invalid"


@dataclass(frozen=True)
class Rules:
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    sla: SlaPolicy = field(default_factory=SlaPolicy.default)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy.default)
    tiers: TierThresholds = field(default_factory=TierThresholds)
    follow_up: FollowUpPolicy = field(default_factory=FollowUpPolicy)
    transfer_needs_approval: bool = True
    returning_window: timedelta = RETURNING_CUSTOMER_WINDOW
    channels: ChannelPolicy = field(default_factory=ChannelPolicy)
    assist: AssistPolicy = field(default_factory=AssistPolicy)
