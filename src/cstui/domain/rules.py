"""The bundle of policies one store applies: calendar, SLA, escalation, tiers, follow-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from cstui.domain.calendar import BusinessCalendar
from cstui.domain.complaints import FollowUpPolicy
from cstui.domain.escalation import EscalationPolicy
from cstui.domain.ownership import RETURNING_CUSTOMER_WINDOW
from cstui.domain.sla import SlaPolicy
from cstui.domain.tiers import TierThresholds


@dataclass(frozen=True)
class Rules:
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    sla: SlaPolicy = field(default_factory=SlaPolicy.default)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy.default)
    tiers: TierThresholds = field(default_factory=TierThresholds)
    follow_up: FollowUpPolicy = field(default_factory=FollowUpPolicy)
    transfer_needs_approval: bool = True
    returning_window: timedelta = RETURNING_CUSTOMER_WINDOW
