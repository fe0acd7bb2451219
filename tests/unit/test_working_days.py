"""A team's own calendar over China's: service days, company days, public holidays on/off."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cstui.domain.calendar import (
    EVERY_DAY,
    BusinessCalendar,
    DayKind,
    WorkingDays,
    public_holiday_name,
)
from cstui.errors import BadInput

SH = ZoneInfo("Asia/Shanghai")
STATE = BusinessCalendar()
WORKING_SUNDAY = date(2027, 1, 10)
COMPANY_HOLIDAY = date(2027, 1, 11)  # the Monday after it


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def with_days(**kwargs: object) -> BusinessCalendar:
    return BusinessCalendar(days=WorkingDays(**kwargs))  # type: ignore[arg-type]


# --- the public calendar, as the package carries it -----------------------------------------


def test_the_2026_shifted_workdays_are_the_packages() -> None:
    cn = holidays.China(years=range(2025, 2028))
    weekends = [date(2026, 1, 1) + timedelta(n) for n in range(365)]
    expected = [d for d in weekends if d.weekday() >= 5 and cn.is_working_day(d)]
    assert expected == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert [STATE.day_kind(d) for d in expected] == [DayKind.SHIFTED_WORKDAY] * len(expected)
    assert all(STATE.is_working_day(d) for d in expected)


def test_the_2027_spring_festival_is_off_and_named_in_both_languages() -> None:
    festival = [date(2027, 2, 5) + timedelta(n) for n in range(6)]
    assert [STATE.day_kind(d) for d in festival] == [DayKind.PUBLIC_HOLIDAY] * 6
    assert public_holiday_name(date(2027, 2, 6), "zh") == "春节"
    assert public_holiday_name(date(2027, 2, 6), "en") == "Chinese New Year (Spring Festival)"
    assert public_holiday_name(date(2027, 2, 11)) is None
    assert STATE.day_kind(date(2027, 2, 11)) is DayKind.WORKING


def test_next_years_shifted_workday_entered_before_the_package_has_it() -> None:
    # 2027's arrangement is published in November; a team enters its 调休 Saturday itself.
    saturday = date(2027, 2, 20)
    assert STATE.day_kind(saturday) is DayKind.REST
    cal = with_days(extra_working_days=frozenset({saturday}))
    assert cal.day_kind(saturday) is DayKind.COMPANY_WORKDAY
    assert cal.add_business_time(sh(2027, 2, 19, 21), timedelta(hours=2)) == sh(2027, 2, 20, 9)


# --- SLA deadlines move with the team's calendar --------------------------------------------


def test_a_working_sunday_makes_a_deadline_earlier() -> None:
    friday_evening = sh(2027, 1, 8, 21)
    cal = with_days(extra_working_days=frozenset({WORKING_SUNDAY}))
    assert STATE.add_business_time(friday_evening, timedelta(hours=2)) == sh(2027, 1, 11, 9)
    assert cal.add_business_time(friday_evening, timedelta(hours=2)) == sh(2027, 1, 10, 9)
    assert cal.day_kind(WORKING_SUNDAY) is DayKind.COMPANY_WORKDAY


def test_a_company_holiday_pushes_a_deadline_later() -> None:
    friday_evening = sh(2027, 1, 8, 21)
    cal = with_days(extra_holidays=frozenset({COMPANY_HOLIDAY}))
    assert cal.add_business_time(friday_evening, timedelta(hours=2)) == sh(2027, 1, 12, 9)
    assert cal.day_kind(COMPANY_HOLIDAY) is DayKind.COMPANY_HOLIDAY
    assert cal.add_working_days(sh(2027, 1, 8, 10), 1) == sh(2027, 1, 12, 10)


def test_a_seven_day_team_works_weekends_but_not_public_holidays() -> None:
    cal = with_days(service_days=EVERY_DAY)
    assert cal.day_kind(date(2026, 3, 7)) is DayKind.WORKING  # an ordinary Saturday
    assert cal.day_kind(date(2026, 10, 1)) is DayKind.PUBLIC_HOLIDAY
    assert cal.is_working_day(date(2026, 10, 10))  # the 调休 Saturday, worked anyway
    assert cal.add_business_time(sh(2026, 3, 6, 21), timedelta(hours=2)) == sh(2026, 3, 7, 9)


def test_without_public_holidays_only_the_week_and_company_days_count() -> None:
    every_day = with_days(service_days=EVERY_DAY, public_holidays=False)
    assert all(every_day.is_working_day(date(2026, 10, 1) + timedelta(n)) for n in range(31))
    weekdays = with_days(public_holidays=False)
    assert weekdays.day_kind(date(2026, 2, 17)) is DayKind.WORKING  # Spring Festival
    assert weekdays.day_kind(date(2026, 2, 14)) is DayKind.REST  # the 调休 Saturday


def test_company_days_win_over_the_public_calendar() -> None:
    cal = with_days(
        extra_working_days=frozenset({date(2026, 10, 1)}),
        extra_holidays=frozenset({date(2026, 10, 10)}),
    )
    assert cal.day_kind(date(2026, 10, 1)) is DayKind.COMPANY_WORKDAY
    assert cal.day_kind(date(2026, 10, 10)) is DayKind.COMPANY_HOLIDAY
    assert not cal.is_working_day(date(2026, 10, 10))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"service_days": frozenset()},
        {"service_days": frozenset({7})},
        {
            "extra_holidays": frozenset({WORKING_SUNDAY}),
            "extra_working_days": frozenset({WORKING_SUNDAY}),
        },
        {"extra_holidays": frozenset(date(2030, 1, 1) + timedelta(n) for n in range(5001))},
    ],
)
def test_a_calendar_that_contradicts_itself_or_never_opens_is_refused(
    kwargs: dict[str, object],
) -> None:
    with pytest.raises(BadInput):
        WorkingDays(**kwargs)  # type: ignore[arg-type]


def test_a_configured_calendar_stays_a_few_microseconds() -> None:
    """The same loose bound as the statutory calendar's: the team's days are cached too."""
    worked = {date(2026, 1, 4) + timedelta(n) for n in range(0, 365, 14)}
    off = {date(2026, 1, 1) + timedelta(n) for n in range(0, 365, 9)}
    cal = with_days(
        service_days=frozenset({0, 1, 2, 3, 4, 5}),
        extra_holidays=frozenset(off - worked),
        extra_working_days=frozenset(worked),
    )
    start = sh(2026, 1, 5, 9)
    steps = [timedelta(minutes=m) for m in (10, 20, 30, 240, 480, 1440)] * 500
    rounds = []
    for _ in range(3):
        began = clock.perf_counter()
        for n, step in enumerate(steps):
            cal.add_business_time(start + timedelta(minutes=37 * n), step)
        rounds.append((clock.perf_counter() - began) / len(steps))
    assert min(rounds) < 400e-6


# --- properties over random team calendars ---------------------------------------------------

day_in_range = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 6, 30))
team_days = st.builds(
    lambda served, public, off, on: WorkingDays(
        service_days=frozenset(served),
        public_holidays=public,
        extra_holidays=frozenset(off - on),
        extra_working_days=frozenset(on),
    ),
    st.sets(st.integers(0, 6), min_size=1),
    st.booleans(),
    st.sets(day_in_range, max_size=40),
    st.sets(day_in_range, max_size=40),
)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 5, 31), timezones=st.just(SH)
)


@settings(max_examples=100)
@given(days=team_days, start=instants, delta=st.timedeltas(timedelta(0), timedelta(days=4)))
def test_between_inverts_add_on_any_team_calendar(
    days: WorkingDays, start: datetime, delta: timedelta
) -> None:
    cal = BusinessCalendar(SH, time(9), time(21), days)
    end = cal.add_business_time(start, delta)
    assert end.tzinfo is UTC
    assert cal.business_time_between(start, end) == delta
    if delta:
        assert cal.is_working_day(end.astimezone(SH).date())


@settings(max_examples=100)
@given(days=team_days, d=day_in_range)
def test_kind_and_working_agree(days: WorkingDays, d: date) -> None:
    cal = BusinessCalendar(days=days)
    working = cal.day_kind(d) in {
        DayKind.WORKING,
        DayKind.SHIFTED_WORKDAY,
        DayKind.COMPANY_WORKDAY,
    }
    assert cal.is_working_day(d) is working
    assert (cal.hours_on(d) is not None) is working
    if d in days.extra_working_days:
        assert working
    if d in days.extra_holidays:
        assert not working
