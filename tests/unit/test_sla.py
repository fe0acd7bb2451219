"""SLA targets, the VIP fast lane, and a clock that pauses while the customer has the ball."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cstui.domain.calendar import BusinessCalendar
from cstui.domain.model import PRIORITY_RANK, Priority, SlaDue, Tier
from cstui.domain.sla import (
    Risk,
    SlaClock,
    SlaPolicy,
    SlaTargets,
    clock_risk,
    on_agent_reply,
    on_customer_message,
    pause,
    resume,
    retarget,
    risk,
    start_clock,
    stop,
    targets,
)
from cstui.errors import BadInput

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar()
POLICY = SlaPolicy.default()

instants = st.datetimes(
    min_value=datetime(2025, 6, 1),
    max_value=datetime(2027, 6, 30),
    timezones=st.sampled_from([UTC, SH, ZoneInfo("America/New_York")]),
    allow_imaginary=False,
).map(lambda d: d.astimezone(UTC))  # drawn in any zone; `+ gap` is then absolute time, as
# wall-clock addition on a New York time can step backwards when daylight saving ends
gaps = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4))
priorities = st.sampled_from(Priority)
tiers = st.sampled_from(Tier)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time, as agents read it."""
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def dues(clock: SlaClock) -> tuple[datetime | None, ...]:
    return clock.due.first_response, clock.due.next_response, clock.due.resolution


# --- targets --------------------------------------------------------------------------------


def test_default_targets_for_a_normal_standard_ticket() -> None:
    assert targets(POLICY, Priority.NORMAL, Tier.STANDARD) == SlaTargets(
        timedelta(minutes=20), timedelta(hours=4), timedelta(hours=24)
    )


def test_vip_fast_lane_halves_every_target() -> None:
    assert targets(POLICY, Priority.URGENT, Tier.VIP) == SlaTargets(
        timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)
    )


@given(tier=tiers, a=priorities, b=priorities)
def test_a_more_urgent_priority_never_gets_longer_targets(
    tier: Tier, a: Priority, b: Priority
) -> None:
    assume(PRIORITY_RANK[a] <= PRIORITY_RANK[b])
    ta, tb = targets(POLICY, a, tier), targets(POLICY, b, tier)
    assert ta.first_response <= tb.first_response
    assert ta.next_response <= tb.next_response
    assert ta.resolution <= tb.resolution


@given(priority=priorities, tier=tiers)
def test_vip_is_never_slower_than_any_tier(priority: Priority, tier: Tier) -> None:
    vip, other = targets(POLICY, priority, Tier.VIP), targets(POLICY, priority, tier)
    assert vip.first_response <= other.first_response
    assert vip.resolution <= other.resolution
    assert targets(POLICY, priority, tier).first_response <= POLICY.first_response[priority]


def test_a_policy_missing_a_priority_is_refused() -> None:
    short = MappingProxyType({Priority.NORMAL: timedelta(minutes=20)})
    with pytest.raises(BadInput):
        SlaPolicy(first_response=short)
    with pytest.raises(BadInput):
        SlaPolicy(tier_factor={Tier.VIP: 0.0})


# --- the clock: concrete examples -------------------------------------------------------------


def test_a_ticket_late_on_friday_is_due_on_the_shifted_saturday() -> None:
    clock = start_clock(sh(2026, 2, 13, 21, 55), Priority.NORMAL, Tier.STANDARD, POLICY, CAL)
    assert clock.due.first_response == sh(2026, 2, 14, 8, 15)
    assert clock.due.next_response is None
    # 24 business hours: 5 min Fri, 14 h Sat 02-14, then the festival; 9h55m on Tue 02-24.
    assert clock.due.resolution == sh(2026, 2, 24, 17, 55)


def test_reply_then_message_then_pending_then_back() -> None:
    clock = start_clock(sh(2026, 3, 9, 9), Priority.HIGH, Tier.STANDARD, POLICY, CAL)
    clock = on_agent_reply(clock, sh(2026, 3, 9, 9, 5))
    assert clock.due.first_response is None and clock.due.next_response is None
    clock = on_customer_message(
        clock, sh(2026, 3, 9, 10), Priority.HIGH, Tier.STANDARD, POLICY, CAL
    )
    assert clock.due.next_response == sh(2026, 3, 9, 12)
    clock = pause(clock, sh(2026, 3, 9, 11), CAL)
    assert clock.due == SlaDue() and clock.remaining == (
        None,
        timedelta(hours=1),
        timedelta(hours=6),  # 8 h from 09:00, two of them used
    )
    clock = resume(clock, sh(2026, 3, 10, 9), CAL)
    assert clock.due.next_response == sh(2026, 3, 10, 10)
    assert clock.due.resolution == sh(2026, 3, 10, 15)
    assert clock.paused_total == timedelta(hours=12)
    assert stop(clock).due == SlaDue()


def test_risk_examples() -> None:
    now = sh(2026, 3, 9, 10)
    window = POLICY.risk_window
    assert risk(None, now, window) is Risk.OK
    assert risk(sh(2026, 3, 9, 11), now, window) is Risk.OK
    assert risk(sh(2026, 3, 9, 10, 29), now, window) is Risk.AT_RISK
    assert risk(sh(2026, 3, 9, 10), now, window) is Risk.BREACHED


def test_resume_before_pause_is_refused() -> None:
    clock = pause(
        start_clock(sh(2026, 3, 9, 9), Priority.LOW, Tier.NEW, POLICY, CAL), sh(2026, 3, 9, 10), CAL
    )
    with pytest.raises(BadInput):
        resume(clock, sh(2026, 3, 9, 9), CAL)


# --- the clock: properties ------------------------------------------------------------------------


@given(created=instants, priority=priorities, tier=tiers)
def test_start_clock_gives_each_target_in_business_time(
    created: datetime, priority: Priority, tier: Tier
) -> None:
    clock = start_clock(created, priority, tier, POLICY, CAL)
    t = targets(POLICY, priority, tier)
    assert clock.due.first_response is not None and clock.due.resolution is not None
    assert clock.due.next_response is None and not clock.paused
    assert CAL.business_time_between(created, clock.due.first_response) == t.first_response
    assert CAL.business_time_between(created, clock.due.resolution) == t.resolution


@given(created=instants, priority=priorities, tier=tiers, gap=gaps, gap2=gaps)
def test_reply_meets_responses_and_a_message_sets_the_next(
    created: datetime, priority: Priority, tier: Tier, gap: timedelta, gap2: timedelta
) -> None:
    clock = start_clock(created, priority, tier, POLICY, CAL)
    early = on_customer_message(clock, created + gap, priority, tier, POLICY, CAL)
    assert early == clock  # the first response still covers it
    replied = on_agent_reply(clock, created + gap)
    assert replied.due.first_response is None and replied.due.next_response is None
    assert replied.due.resolution == clock.due.resolution
    at = created + gap + gap2
    asked = on_customer_message(replied, at, priority, tier, POLICY, CAL)
    assert asked.due.next_response == CAL.add_business_time(
        at, targets(POLICY, priority, tier).next_response
    )
    again = on_customer_message(asked, at + gap, priority, tier, POLICY, CAL)
    assert again.due.next_response == asked.due.next_response  # the earliest wait counts


@settings(max_examples=60)
@given(created=instants, priority=priorities, tier=tiers, before=gaps, during=gaps)
def test_pause_freezes_and_resume_restores_business_time(
    created: datetime, priority: Priority, tier: Tier, before: timedelta, during: timedelta
) -> None:
    clock = start_clock(created, priority, tier, POLICY, CAL)
    paused_at, resumed_at = created + before, created + before + during
    paused = pause(clock, paused_at, CAL)
    assert paused.due == SlaDue() and paused.paused
    assert pause(paused, resumed_at, CAL) == paused  # idempotent
    assert clock_risk(paused, resumed_at, POLICY.risk_window) is Risk.OK
    resumed = resume(paused, resumed_at, CAL)
    assert not resumed.paused and resumed.remaining is None
    assert resume(resumed, resumed_at, CAL) == resumed  # idempotent
    assert paused.remaining is not None
    for left, due in zip(paused.remaining, dues(resumed), strict=True):
        assert (left is None) == (due is None)
        if left is None or due is None:
            continue
        if left >= timedelta(0):
            assert CAL.business_time_between(resumed_at, due) == left
        else:  # breached before the pause: stays breached
            assert due < resumed_at
            assert risk(due, resumed_at, POLICY.risk_window) is Risk.BREACHED


@settings(max_examples=60)
@given(created=instants, priority=priorities, tier=tiers, before=gaps, during=gaps)
def test_time_paused_is_not_charged(
    created: datetime, priority: Priority, tier: Tier, before: timedelta, during: timedelta
) -> None:
    clock = start_clock(created, priority, tier, POLICY, CAL)
    assert clock.due.resolution is not None
    paused_at = created + before
    assume(CAL.business_time_between(paused_at, clock.due.resolution) > timedelta(0))
    resumed = resume(pause(clock, paused_at, CAL), paused_at + during, CAL)
    assert resumed.due.resolution is not None
    charged = CAL.business_time_between(created, resumed.due.resolution) - resumed.paused_total
    assert charged == targets(POLICY, priority, tier).resolution


@given(created=instants, priority=priorities, tier=tiers, gap=gaps)
def test_stop_clears_everything(
    created: datetime, priority: Priority, tier: Tier, gap: timedelta
) -> None:
    clock = start_clock(created, priority, tier, POLICY, CAL)
    for state in (clock, pause(clock, created + gap, CAL)):
        stopped = stop(state)
        assert stopped.due == SlaDue() and not stopped.paused and stopped.remaining is None


@given(created=instants, old=priorities, new=priorities, old_tier=tiers, new_tier=tiers, gap=gaps)
def test_retarget_is_as_if_created_with_the_new_priority(
    created: datetime, old: Priority, new: Priority, old_tier: Tier, new_tier: Tier, gap: timedelta
) -> None:
    clock = start_clock(created, old, old_tier, POLICY, CAL)
    moved = retarget(clock, created + gap, new, new_tier, POLICY, CAL, created)
    assert moved == start_clock(created, new, new_tier, POLICY, CAL)
    replied = on_agent_reply(clock, created + gap)
    assert (
        retarget(replied, created + gap, new, new_tier, POLICY, CAL, created).due.first_response
        is None
    )


@settings(max_examples=60)
@given(
    created=instants,
    priority=priorities,
    tier=tiers,
    replied=st.booleans(),
    before=st.timedeltas(timedelta(0), timedelta(hours=30)),
    during=gaps,
)
def test_retarget_keeps_the_pause_credit(
    created: datetime,
    priority: Priority,
    tier: Tier,
    replied: bool,
    before: timedelta,
    during: timedelta,
) -> None:
    clock = start_clock(created, priority, tier, POLICY, CAL)
    if replied:
        clock = on_agent_reply(clock, created)
    paused_at, resumed_at = created + before, created + before + during
    paused = pause(clock, paused_at, CAL)
    assert retarget(paused, paused_at, priority, tier, POLICY, CAL, created) == paused
    assert paused.remaining is not None
    assume(all(left is None or left > timedelta(0) for left in paused.remaining))
    resumed = resume(paused, resumed_at, CAL)
    same = retarget(resumed, resumed_at, priority, tier, POLICY, CAL, created)
    assert same == resumed


@given(
    due=st.none() | instants, now=instants, window=st.timedeltas(timedelta(0), timedelta(hours=2))
)
def test_risk_is_a_function_of_the_time_left(
    due: datetime | None, now: datetime, window: timedelta
) -> None:
    got = risk(due, now, window)
    if due is None:
        assert got is Risk.OK
    elif due <= now:
        assert got is Risk.BREACHED
    else:
        assert got is (Risk.AT_RISK if due - now < window else Risk.OK)
