"""SLA targets per priority and customer tier, and the clock that tracks each deadline.

The documents set an average first response of at most 20 minutes and an effective reply
within 24 hours, and ask for a VIP fast lane. A ticket carries three separate deadlines
(first response, next response, resolution), all counted in business time. While the ticket
waits on the customer (status pending) the clock is paused: the business time left on each
deadline is frozen and nothing is due, so queue ordering and the sla-risk view skip it.

The clock is an immutable value: every event returns a new `SlaClock` for the store to save.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from cstui.domain.calendar import BusinessCalendar, require_aware
from cstui.domain.model import Priority, SlaDue, Tier
from cstui.errors import BadInput

_ZERO = timedelta(0)


def _minutes(**by_priority: float) -> Mapping[Priority, timedelta]:
    return MappingProxyType({Priority(k): timedelta(minutes=v) for k, v in by_priority.items()})


def _default_first_response() -> Mapping[Priority, timedelta]:
    return _minutes(urgent=10, high=15, normal=20, low=30)


def _default_next_response() -> Mapping[Priority, timedelta]:
    return _minutes(urgent=60, high=120, normal=240, low=480)


def _default_resolution() -> Mapping[Priority, timedelta]:
    return _minutes(urgent=4 * 60, high=8 * 60, normal=24 * 60, low=36 * 60)


def _default_tier_factor() -> Mapping[Tier, float]:
    """VIPs and first-time complainants get the fast lane; other tiers are unchanged."""
    factors = {tier: 1.0 for tier in Tier}
    factors |= {
        Tier.VIP: 0.5,
        Tier.FIRST_COMPLAINT: 0.5,
        Tier.PRIOR_COMPLAINANT: 0.75,
        Tier.HIGH_AOV: 0.75,
    }
    return MappingProxyType(factors)


@dataclass(frozen=True)
class SlaPolicy:
    """How long each deadline is (business time), and how much faster each tier is served."""

    first_response: Mapping[Priority, timedelta] = field(default_factory=_default_first_response)
    next_response: Mapping[Priority, timedelta] = field(default_factory=_default_next_response)
    resolution: Mapping[Priority, timedelta] = field(default_factory=_default_resolution)
    tier_factor: Mapping[Tier, float] = field(default_factory=_default_tier_factor)
    risk_window: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        """Fail at configuration time rather than on the first ticket of that priority."""
        for name in ("first_response", "next_response", "resolution"):
            table: Mapping[Priority, timedelta] = getattr(self, name)
            for priority in Priority:
                if priority not in table:
                    raise BadInput(f"sla {name}: no target for priority {priority}")
                if table[priority] <= _ZERO:
                    raise BadInput(f"sla {name}: the {priority} target must be positive")
        for tier, factor in self.tier_factor.items():
            if not 0 < factor <= 10:
                raise BadInput(f"sla tier_factor: {tier} must be in (0, 10], got {factor}")
        if self.risk_window < _ZERO:
            raise BadInput("sla risk_window must not be negative")

    @classmethod
    def default(cls) -> SlaPolicy:
        """The documents' figures: first response within 20 minutes on average."""
        return cls()

    def factor(self, tier: Tier) -> float:
        """The tier's multiplier; a tier missing from the table is served at the normal pace."""
        return self.tier_factor.get(tier, 1.0)


@dataclass(frozen=True)
class SlaTargets:
    """The three durations (business time) that apply to one ticket."""

    first_response: timedelta
    next_response: timedelta
    resolution: timedelta


def targets(policy: SlaPolicy, priority: Priority, tier: Tier) -> SlaTargets:
    """The targets for a priority, scaled by the tier's factor (the VIP fast lane)."""
    factor = policy.factor(tier)
    return SlaTargets(
        first_response=policy.first_response[priority] * factor,
        next_response=policy.next_response[priority] * factor,
        resolution=policy.resolution[priority] * factor,
    )


Remaining = tuple[timedelta | None, timedelta | None, timedelta | None]


@dataclass(frozen=True)
class SlaClock:
    """Every deadline of one ticket, or the business time left on each while paused.

    `paused_total` is the business time spent paused so far; `retarget` adds it back so a
    priority change does not charge the team for time the customer kept the ball.
    """

    due: SlaDue
    paused_at: datetime | None = None
    remaining: Remaining | None = None
    paused_total: timedelta = _ZERO

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


def start_clock(
    created_at: datetime,
    priority: Priority,
    tier: Tier,
    policy: SlaPolicy,
    cal: BusinessCalendar,
) -> SlaClock:
    """A new ticket owes a first response and a resolution; no next response yet."""
    require_aware(created_at, "created_at")
    t = targets(policy, priority, tier)
    due = SlaDue(
        first_response=cal.add_business_time(created_at, t.first_response),
        next_response=None,
        resolution=cal.add_business_time(created_at, t.resolution),
    )
    return SlaClock(due=due)


def on_agent_reply(clock: SlaClock, at: datetime) -> SlaClock:
    """A reply meets the first response and the next response: the ball is with the customer."""
    require_aware(at, "at")
    if clock.remaining is not None:
        return replace(clock, remaining=(None, None, clock.remaining[2]))
    return replace(clock, due=replace(clock.due, first_response=None, next_response=None))


def on_customer_message(
    clock: SlaClock,
    at: datetime,
    priority: Priority,
    tier: Tier,
    policy: SlaPolicy,
    cal: BusinessCalendar,
) -> SlaClock:
    """The customer wrote: a next response is owed, unless the first response still is.

    An unanswered earlier message keeps its earlier deadline (the customer has been waiting
    since then). On a paused clock the new deadline is kept as remaining time and starts
    counting when the store resumes the clock; pausing and resuming follow the status.
    """
    require_aware(at, "at")
    target = targets(policy, priority, tier).next_response
    if clock.remaining is not None:
        first, pending, resolution = clock.remaining
        if first is not None:
            return clock
        left = target if pending is None else min(pending, target)
        return replace(clock, remaining=(None, left, resolution))
    if clock.due.first_response is not None:
        return clock
    due_at = cal.add_business_time(at, target)
    if clock.due.next_response is not None:
        due_at = min(due_at, clock.due.next_response)
    return replace(clock, due=replace(clock.due, next_response=due_at))


def _dues(due: SlaDue) -> tuple[datetime | None, datetime | None, datetime | None]:
    return due.first_response, due.next_response, due.resolution


def pause(clock: SlaClock, at: datetime, cal: BusinessCalendar) -> SlaClock:
    """Waiting on the customer: freeze the business time left (negative when breached)."""
    require_aware(at, "at")
    if clock.paused:
        return clock
    first, nxt, resolution = (_left(at, d, cal) for d in _dues(clock.due))
    return replace(
        clock, due=SlaDue(), paused_at=at.astimezone(UTC), remaining=(first, nxt, resolution)
    )


def _left(at: datetime, due: datetime | None, cal: BusinessCalendar) -> timedelta | None:
    return None if due is None else cal.business_time_between(at, due)


def _resumed_due(left: timedelta | None, at: datetime, cal: BusinessCalendar) -> datetime | None:
    """Time left restarts in business time; a breached deadline stays as far in the past."""
    if left is None:
        return None
    if left < _ZERO:
        return at.astimezone(UTC) + left
    return cal.add_business_time(at, left)


def resume(clock: SlaClock, at: datetime, cal: BusinessCalendar) -> SlaClock:
    """The customer answered: every frozen deadline counts again from `at`."""
    require_aware(at, "at")
    if clock.paused_at is None:
        return clock
    if at < clock.paused_at:
        raise BadInput("an SLA clock cannot resume before it was paused")
    first, nxt, resolution = clock.remaining or (None, None, None)
    due = SlaDue(
        first_response=_resumed_due(first, at, cal),
        next_response=_resumed_due(nxt, at, cal),
        resolution=_resumed_due(resolution, at, cal),
    )
    paused_for = cal.business_time_between(clock.paused_at, at)
    return SlaClock(due=due, paused_total=clock.paused_total + paused_for)


def stop(clock: SlaClock) -> SlaClock:
    """Resolved: nothing is due any more and nothing is paused."""
    return SlaClock(due=SlaDue(), paused_total=clock.paused_total)


def retarget(
    clock: SlaClock,
    at: datetime,
    priority: Priority,
    tier: Tier,
    policy: SlaPolicy,
    cal: BusinessCalendar,
    created_at: datetime,
) -> SlaClock:
    """Priority or tier changed: recompute the pending first-response and resolution dues.

    Each pending deadline becomes created_at + new target + business time spent paused, as
    if the ticket had had the new priority from the start. Met or stopped deadlines stay
    met. The next-response deadline is left as it is: the clock does not know when the
    customer's wait began, and a promise already running is not moved.
    """
    require_aware(at, "at")
    require_aware(created_at, "created_at")
    t = targets(policy, priority, tier)
    if clock.paused_at is not None and clock.remaining is not None:
        used = cal.business_time_between(created_at, clock.paused_at) - clock.paused_total
        first, nxt, resolution = clock.remaining
        return replace(
            clock,
            remaining=(
                None if first is None else t.first_response - used,
                nxt,
                None if resolution is None else t.resolution - used,
            ),
        )
    due = clock.due
    return replace(
        clock,
        due=replace(
            due,
            first_response=_due_from(created_at, t.first_response, due.first_response, clock, cal),
            resolution=_due_from(created_at, t.resolution, due.resolution, clock, cal),
        ),
    )


def _due_from(
    created_at: datetime,
    target: timedelta,
    current: datetime | None,
    clock: SlaClock,
    cal: BusinessCalendar,
) -> datetime | None:
    """A still-pending deadline measured from creation, pushed by the time spent paused."""
    if current is None:
        return None
    return cal.add_business_time(created_at, target + clock.paused_total)


class Risk(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


def risk(due: datetime | None, now: datetime, window: timedelta) -> Risk:
    """Breached once the deadline has passed; at risk when it is closer than `window`."""
    require_aware(now, "now")
    if due is None:
        return Risk.OK
    if now >= due:
        return Risk.BREACHED
    if due - now < window:
        return Risk.AT_RISK
    return Risk.OK


def clock_risk(clock: SlaClock, now: datetime, window: timedelta) -> Risk:
    """The risk of a ticket's nearest deadline; a paused clock is never at risk."""
    return risk(clock.due.nearest(), now, window)
