"""The automations' vocabulary: rules, actions, the facts rules read, the policy.

Plain frozen data: the store builds the facts from its rows, the rules return firings, the
store carries the actions out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cstui.domain.calendar import BusinessCalendar
from cstui.domain.model import Department, EscalationState, Priority, Tier
from cstui.domain.sla import SlaPolicy
from cstui.errors import BadInput

# A recipient standing for every supervisor (resolved by the store when it notifies).
SUPERVISORS = "@supervisors"


class Rule(StrEnum):
    """Every rule, by the name the config file and the firings' keys use."""

    GREEN_WARNING = "green_warning"  # 90 minutes on the green channel: owner and supervisor
    GREEN_ESCALATION = "green_escalation"  # 2 hours unresolved: an escalation to the supervisor
    FIRST_RESPONSE_RISK = "first_response_risk"
    FIRST_RESPONSE_BREACH = "first_response_breach"
    NEXT_RESPONSE_RISK = "next_response_risk"
    NEXT_RESPONSE_BREACH = "next_response_breach"
    VIP_RESOLUTION_BREACH = "vip_resolution_breach"
    ESCALATION_OVERDUE = "escalation_overdue"  # a department past its due time
    COMPLEX_CASE = "complex_case"  # a complex case at 2 of its 3 working days
    FOLLOW_UP_DUE = "follow_up_due"
    LOW_CSAT = "low_csat"  # a CSAT of 1 or 2: complaint care
    DEPARTMENT_ANSWER = "department_answer"  # acknowledged, done or rejected
    RETURNING_ROUTED = "returning_routed"  # a returning customer's ticket routed to its owner
    COMPLAINT_WARNING = "complaint_warning"  # 投诉预警 raised on a new contact: supervisors
    AUTO_ASSIGN = "auto_assign"  # unowned past its tier's wait: the least-loaded agent on shift
    TRANSFER_DENIED = "transfer_denied"  # a supervisor's no, with its reason, to the owner


# Rules found in the event log; rules about an escalation (instance "<escalation id>:…");
# the others are about a ticket's own deadlines.
EVENT_RULES = frozenset(
    {
        Rule.LOW_CSAT,
        Rule.DEPARTMENT_ANSWER,
        Rule.RETURNING_ROUTED,
        Rule.COMPLAINT_WARNING,
        Rule.TRANSFER_DENIED,
    }
)
ESCALATION_RULES = frozenset({Rule.ESCALATION_OVERDUE, Rule.COMPLEX_CASE})
GREEN_RULES = frozenset({Rule.GREEN_WARNING, Rule.GREEN_ESCALATION})
TICKET_RULES = frozenset(Rule) - EVENT_RULES - ESCALATION_RULES - GREEN_RULES


class Urgency(StrEnum):
    INFO = "info"
    WARNING = "warning"
    URGENT = "urgent"  # a toast in the console: green channel, breaches


@dataclass(frozen=True, slots=True)
class Notify:
    """Tell agents (names, or `SUPERVISORS`): `text_key` is a message id, `params` its values."""

    recipients: tuple[str, ...]
    urgency: Urgency
    text_key: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OpenEscalation:
    """Open an escalation on the ticket, as the system (audited under `SYSTEM_ACTOR`)."""

    department: Department
    green: bool
    reason: str


@dataclass(frozen=True, slots=True)
class AutoAssign:
    """Give the unowned ticket to an agent the store picks when it fires (`choose_agent`):
    loads change between the sweep's read and the firing, so no name is fixed here."""


Action = Notify | OpenEscalation | AutoAssign

SYSTEM_ACTOR = "system"


@dataclass(frozen=True, slots=True)
class Firing:
    """One rule acting once on one ticket for one deadline instance (or causing event)."""

    rule: Rule
    ticket_id: int
    instance: str
    due_at: datetime  # when it became due (never after the sweep's `now`)
    actions: tuple[Action, ...]

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.rule.value, self.ticket_id, self.instance)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the time rules read of an active ticket."""

    id: int
    owner: str | None
    priority: Priority
    tier: Tier
    first_response_due: datetime | None = None
    next_response_due: datetime | None = None
    resolution_due: datetime | None = None
    follow_up_due: datetime | None = None
    active: bool = True
    created_at: datetime | None = None  # when it started waiting for an owner


@dataclass(frozen=True, slots=True)
class GreenFacts:
    """An active ticket on the green channel, and since when (the supervisor's call or its
    first green escalation, whichever came first: the monitor's green board counts so too)."""

    ticket_id: int
    owner: str | None
    since: datetime
    active: bool = True


@dataclass(frozen=True, slots=True)
class EscalationFacts:
    """An open escalation and its ticket (for the overdue, complex and green rules)."""

    id: int
    ticket_id: int
    owner: str | None
    department: Department
    state: EscalationState
    green: bool
    complex_case: bool  # the ticket involves two or more departments
    created_at: datetime
    due_at: datetime
    ticket_active: bool = True


@dataclass(frozen=True, slots=True)
class EventFacts:
    """One logged event the event rules read (already decoded by the store)."""

    id: int
    ticket_id: int
    at: datetime
    kind: str
    owner: str | None
    score: int | None = None  # csat
    state: EscalationState | None = None  # escalation_state
    department: str | None = None
    reasons: tuple[str, ...] = ()  # complaint_warning
    note: str | None = None  # transfer_denied: the supervisor's reason


@dataclass(frozen=True, slots=True)
class Notification:
    """One entry of an agent's feed: what a rule told them, and whether they have read it."""

    id: int
    ticket_id: int | None
    rule: str
    urgency: Urgency
    text_key: str
    params: Mapping[str, str]
    created_at: datetime
    read_at: datetime | None = None

    @property
    def urgent(self) -> bool:
        return self.urgency is Urgency.URGENT


# Rules that act on tickets' ownership are off unless the config turns them on.
OPT_IN_RULES = frozenset({Rule.AUTO_ASSIGN})
AUTO_ASSIGN_MINUTES = 10  # a tier the config does not name waits this long


def _on() -> frozenset[Rule]:
    return frozenset(Rule) - OPT_IN_RULES


def _no_tier_waits() -> Mapping[Tier, timedelta]:
    return {}


@dataclass(frozen=True)
class AutomationPolicy:
    """Which rules are on and their thresholds (`[automations]` in the config file)."""

    enabled: bool = False  # whether servers and consoles sweep on their own
    interval: timedelta = timedelta(seconds=30)
    rules: frozenset[Rule] = field(default_factory=_on)
    green_warning: timedelta = timedelta(minutes=90)
    green_escalation: timedelta = timedelta(hours=2)
    risk_share: float = 0.8  # a response is at risk once this share of its target is used
    complex_warning_days: int = 2  # of the complex case's working days
    low_csat: int = 2  # this score or lower is a complaint to care for
    catch_up: timedelta = timedelta(hours=24)  # how far back a sweep looks for deadlines
    # how long a ticket of each tier may wait unowned before `auto_assign` gives it out
    auto_assign_after: Mapping[Tier, timedelta] = field(default_factory=_no_tier_waits)
    auto_assign_default: timedelta = timedelta(minutes=AUTO_ASSIGN_MINUTES)
    sla: SlaPolicy = field(default_factory=SlaPolicy.default)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)

    def __post_init__(self) -> None:
        if not self.interval > timedelta(0):
            raise BadInput("automations interval must be positive")
        if not 0 < self.risk_share < 1:
            raise BadInput(f"automations risk_share must be in (0, 1), got {self.risk_share}")
        if not timedelta(0) < self.green_warning < self.green_escalation:
            raise BadInput("automations: green warning must come before the green escalation")
        if self.complex_warning_days < 1:
            raise BadInput("automations complex_warning_days must be at least 1")
        if not 1 <= self.low_csat <= 5:
            raise BadInput("automations low_csat must be a score from 1 to 5")
        if self.catch_up <= timedelta(0):
            raise BadInput("automations catch_up must be positive")
        waits = [self.auto_assign_default, *self.auto_assign_after.values()]
        if any(w <= timedelta(0) for w in waits):
            raise BadInput("automations auto_assign_minutes must be positive")

    def on(self, rule: Rule) -> bool:
        return rule in self.rules

    def unowned_wait(self, tier: Tier) -> timedelta:
        """How long a ticket of `tier` may wait unowned before it is assigned."""
        return self.auto_assign_after.get(tier, self.auto_assign_default)

    def unowned_waits(self) -> tuple[timedelta, timedelta]:
        """The shortest and the longest wait of any tier (a sweep's window)."""
        waits = [self.auto_assign_default, *self.auto_assign_after.values()]
        return min(waits), max(waits)


def instant(at: datetime) -> str:
    """A deadline as an instance key: UTC, to the microsecond, the same on every backend."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")
