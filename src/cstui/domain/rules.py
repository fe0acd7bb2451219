"""The bundle of policies one store applies: calendar, SLA, escalation, tiers, follow-up,
channels."""

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
