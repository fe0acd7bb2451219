"""The Chinese working-day calendar with business hours, for every "due in N hours" rule.

Service levels in the documents are counted in business time: a ticket raised at 23:00
on the eve of the Spring Festival is not late the next morning. Working days follow China's
statutory calendar from the `holidays` package, including the shifted weekend workdays
(调休, e.g. Saturday 2026-02-14) that are ON although they fall on a weekend.

A team's own calendar (`WorkingDays`) lays its service days (a 7-day team serves weekends),
its company holidays and its extra working days over that: next year's 调休 is published in
November, before a release of the package carries it, so a team can enter it itself.

Everything here is hot: the demo generator calls `add_business_time` millions of times, so
per-date lookups are cached at module level and the walks jump whole intervals, never minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from cstui.errors import BadInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_START = time(8, 0)
DAY_END = time(22, 0)

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# Ten years of business time: anything bigger is a bug, not a deadline, and would spin.
_MAX_DELTA = timedelta(days=3650)
_MAX_WORKING_DAYS = 2500


MONDAY_TO_FRIDAY = frozenset(range(5))  # date.weekday(): Monday is 0
EVERY_DAY = frozenset(range(7))
# Company days listed one by one: a bound keeps a typo ("2027..2207") from making a walk
# crawl through centuries of days off.
MAX_EXTRA_DAYS = 5000


class DayKind(StrEnum):
    """Why a date is worked or not, in the order the rules decide it."""

    COMPANY_WORKDAY = "company_workday"  # an extra working day of the team's own
    COMPANY_HOLIDAY = "company_holiday"  # a day off of the team's own
    PUBLIC_HOLIDAY = "public_holiday"  # China's statutory days off (incl. substituted ones)
    SHIFTED_WORKDAY = "shifted_workday"  # 调休: a weekend day the state calendar works
    WORKING = "working"  # an ordinary service day
    REST = "rest"  # not a service day of the team (a weekend for a 5-day team)


WORKING_KINDS = frozenset({DayKind.COMPANY_WORKDAY, DayKind.SHIFTED_WORKDAY, DayKind.WORKING})


@lru_cache(maxsize=64)
def _statutory(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """China's days off in `year` and its shifted weekend workdays (调休), from holidays.

    The neighbouring years are loaded too, because a shifted workday can belong to the
    next year's arrangement (a late-December weekend worked before New Year).
    """
    from holidays.countries.china import China  # heavy: imported when a deadline is first due

    cn = China(years=range(year - 1, year + 2))
    first = date(year, 1, 1)
    days = [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
    off = frozenset(d for d in days if d in cn)
    shifted = frozenset(d for d in days if d.weekday() >= 5 and cn.is_working_day(d))
    return off, shifted


@lru_cache(maxsize=16)
def _public_names(year: int, lang: str) -> dict[date, str]:
    from holidays.countries.china import China

    return dict(China(years=year, language="zh_CN" if lang == "zh" else "en_US").items())


def public_holiday_name(d: date, lang: Literal["en", "zh"] = "en") -> str | None:
    """The statutory name of `d` in English or Chinese (元旦, 春节 …), None on other days."""
    return _public_names(d.year, lang).get(d)


@dataclass(frozen=True)
class WorkingDays:
    """Which dates a team works: its service weekdays, China's public calendar (on or
    off), and its own extra holidays and extra working days, which win over both."""

    service_days: frozenset[int] = MONDAY_TO_FRIDAY
    public_holidays: bool = True
    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        """Refuse a calendar that contradicts itself or never opens (walks would not end)."""
        if not self.service_days or not self.service_days <= EVERY_DAY:
            raise BadInput("service days: name at least one day from Monday (0) to Sunday (6)")
        both = self.extra_holidays & self.extra_working_days
        if both:
            raise BadInput(f"{min(both)} is both an extra holiday and an extra working day")
        if len(self.extra_holidays) + len(self.extra_working_days) > MAX_EXTRA_DAYS:
            raise BadInput(f"at most {MAX_EXTRA_DAYS} extra holidays and working days")

    def kind(self, d: date) -> DayKind:
        """What `d` is for this team; the team's own lists win over the public calendar."""
        if d in self.extra_working_days:
            return DayKind.COMPANY_WORKDAY
        if d in self.extra_holidays:
            return DayKind.COMPANY_HOLIDAY
        if self.public_holidays:
            off, shifted = _statutory(d.year)
            if d in off:
                return DayKind.PUBLIC_HOLIDAY
            if d in shifted:
                return DayKind.SHIFTED_WORKDAY
        return DayKind.WORKING if d.weekday() in self.service_days else DayKind.REST


STATUTORY = WorkingDays()


@lru_cache(maxsize=64)
def _working_days(year: int, days: WorkingDays = STATUTORY) -> frozenset[date]:
    """Every working day of `year` for `days`, computed once per year and calendar."""
    first = date(year, 1, 1)
    count = (date(year + 1, 1, 1) - first).days
    dates = (first + timedelta(days=n) for n in range(count))
    return frozenset(d for d in dates if days.kind(d) in WORKING_KINDS)


def is_working_day(d: date, days: WorkingDays = STATUTORY) -> bool:
    """Whether `d` is a working day (by default mainland China's: statutory days off,
    调休 workdays on)."""
    return d in _working_days(d.year, days)


@lru_cache(maxsize=16384)
def _business_hours(
    tz: ZoneInfo, day_start: time, day_end: time, days: WorkingDays, d: date
) -> tuple[datetime, datetime] | None:
    """The UTC opening and closing instants of local date `d`, or None on a day off.

    Computed in UTC once per date so the walks compare plain UTC datetimes, and so a
    daylight-saving zone gets the true length of each day's hours.
    """
    if not is_working_day(d, days):
        return None
    opening = datetime.combine(d, day_start, tzinfo=tz).astimezone(UTC)
    closing = datetime.combine(d, day_end, tzinfo=tz).astimezone(UTC)
    return opening, closing


def require_aware(value: datetime, name: str) -> datetime:
    """Reject naive datetimes: a deadline without a zone is a silent eight-hour error."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadInput(f"{name} must be timezone-aware")
    return value


@dataclass(frozen=True)
class BusinessCalendar:
    """Business hours (local time) on the team's working days; every result is UTC-aware."""

    tz: ZoneInfo = SHANGHAI
    day_start: time = DAY_START
    day_end: time = DAY_END
    days: WorkingDays = field(default=STATUTORY)

    def __post_init__(self) -> None:
        """Refuse hours that would make every walk loop forever or run backwards."""
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise BadInput("business hours are local wall-clock times without a zone")
        if not self.day_start < self.day_end:
            raise BadInput(f"business hours: {self.day_start} must be before {self.day_end}")

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a working day of the team (see `WorkingDays.kind`)."""
        return is_working_day(d, self.days)

    def day_kind(self, d: date) -> DayKind:
        """Why `d` is worked or not: `cstui calendar show` prints what the clock uses."""
        return self.days.kind(d)

    def hours_on(self, d: date) -> tuple[datetime, datetime] | None:
        """The opening and closing instants (UTC) of local date `d`; None on a day off."""
        return _business_hours(self.tz, self.day_start, self.day_end, self.days, d)

    _hours = hours_on

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def is_business_time(self, at: datetime) -> bool:
        """Whether `at` falls inside business hours [opening, closing) on a working day."""
        require_aware(at, "at")
        hours = self._hours(self._local_date(at))
        return hours is not None and hours[0] <= at < hours[1]

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when inside business hours, else the next opening instant (UTC)."""
        return self.add_business_time(at, _ZERO)

    def add_business_time(self, start: datetime, delta: timedelta) -> datetime:
        """The instant at which `delta` of business time has passed since `start` (UTC).

        A positive result lands in (opening, closing] of a working day: a deadline that uses
        up a day's last minute is due at closing time, not at the next morning's opening.
        With `delta` zero, a `start` outside business hours snaps to the next opening.
        """
        require_aware(start, "start")
        if delta < _ZERO:
            raise BadInput("business time to add must not be negative")
        if delta > _MAX_DELTA:
            raise BadInput("business time to add is longer than ten years")
        cur = start.astimezone(UTC)
        d = self._local_date(start)
        remaining = delta
        while True:
            hours = self._hours(d)
            if hours is not None:
                opening, closing = hours
                cur = max(cur, opening)
                if cur < closing:
                    available = closing - cur
                    if remaining <= available:
                        return cur + remaining
                    remaining -= available
            d += _ONE_DAY

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time inside [a, b); the negative of (b, a) when b is before a.

        The inverse of `add_business_time`: between(a, add(a, d)) == d. Metrics use it to
        measure response and resolution times as the team experiences them.
        """
        require_aware(a, "a")
        require_aware(b, "b")
        if b < a:
            return -self.business_time_between(b, a)
        lo, hi = a.astimezone(UTC), b.astimezone(UTC)
        d, last = self._local_date(a), self._local_date(b)
        total = _ZERO
        while d <= last:
            hours = self._hours(d)
            if hours is not None:
                overlap = min(hours[1], hi) - max(hours[0], lo)
                if overlap > _ZERO:
                    total += overlap
            d += _ONE_DAY
        return total

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += _ONE_DAY
        while not is_working_day(d, self.days):
            d += _ONE_DAY
        return d

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local time of day, `days` working days later (UTC), for "within N days".

        A `start` outside business hours counts from the next opening, so a request at
        23:00 Friday "within 3 working days" is due at 08:00 on the third working day after
        the next opening's day (weekends and holidays skipped, 调休 Saturdays counted).
        """
        if days < 0:
            raise BadInput("working days to add must not be negative")
        if days > _MAX_WORKING_DAYS:
            raise BadInput(f"working days to add must be at most {_MAX_WORKING_DAYS}")
        local = self.next_opening(start).astimezone(self.tz)
        d, time_of_day = local.date(), local.time()
        for _ in range(days):
            d = self.next_working_day(d)
        return datetime.combine(d, time_of_day, tzinfo=self.tz).astimezone(UTC)
