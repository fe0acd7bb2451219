"""The `[calendar]` settings: the team's service days and hours, and its own holidays and
working days laid over China's public calendar.

Written as people write them: `service_days = "mon-sun"` (or `"7x"`, or a list of day
names), `hours = { start = "08:00", end = "22:00" }`, and company days as dates, ranges
(`"2027-02-01..2027-02-03"`) or tables with a name (`{ date = "2027-01-04", name = "年会" }`).
Every mistake is refused when the settings load, naming the setting and the entry.
"""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import NoDecode

from cstui.domain.calendar import (
    EVERY_DAY,
    MAX_EXTRA_DAYS,
    MONDAY_TO_FRIDAY,
    BusinessCalendar,
    WorkingDays,
)
from cstui.errors import BadInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ZH = "一二三四五六日"
_DAY_NAMES = {
    **{name: n for n, name in enumerate(WEEKDAYS)},
    **{name: n for n, name in enumerate(_FULL)},
    **{f"周{c}": n for n, c in enumerate(_ZH)},
    **{f"星期{c}": n for n, c in enumerate(_ZH)},
    "周天": 6,
    "星期天": 6,
}
_SHORTHANDS = {
    "7x": EVERY_DAY,
    "daily": EVERY_DAY,
    "6x": frozenset(range(6)),
    "5x": MONDAY_TO_FRIDAY,
    "weekdays": MONDAY_TO_FRIDAY,
}
# One range of company days: longer than a year is a typo in a year, not a holiday.
MAX_SPAN_DAYS = 366


def _invalid(message: str, **values: Any) -> PydanticCustomError:
    """A validation error whose message is shown as written (no "Value error, " prefix);
    `{name}` in `message` is filled from `values`, so user text is never a template."""
    return PydanticCustomError("calendar", message, values)


def _weekday(name: str) -> int:
    number = _DAY_NAMES.get(name.strip().lower())
    if number is None:
        raise _invalid("{name} is not a day of the week (mon … sun)", name=repr(name))
    return number


def _day_group(text: str) -> frozenset[int]:
    """`mon`, or a range `mon-fri` (a range may wrap: `sat-tue`)."""
    first, dash, last = text.partition("-")
    if not dash:
        return frozenset({_weekday(first)})
    a, b = _weekday(first), _weekday(last)
    return frozenset((a + n) % 7 for n in range((b - a) % 7 + 1))


def _service_days(value: Any) -> frozenset[int]:
    """`"7x"`, `"mon-sat"`, `"mon,wed,fri"` or `["mon", "tue", …]` as weekday numbers."""
    if isinstance(value, frozenset | set) and all(isinstance(v, int) for v in value):
        return frozenset(value)
    if isinstance(value, str):
        shorthand = _SHORTHANDS.get(value.strip().lower())
        if shorthand is not None:
            return shorthand
        value = _json_list(value) if value.lstrip().startswith("[") else value.split(",")
    if not isinstance(value, list | tuple) or not value:
        raise _invalid('name the days served: "mon-fri", "7x" or a list like ["mon", "sat"]')
    days: frozenset[int] = frozenset()
    for item in value:
        if not isinstance(item, str):
            raise _invalid("{item} is not a day of the week (mon … sun)", item=repr(item))
        days |= _day_group(item)
    return days


def _json_list(text: str) -> Any:
    """A list written as JSON (`CSTUI_CALENDAR__SERVICE_DAYS='["mon", "sat"]'`)."""
    try:
        return json.loads(text)
    except ValueError:
        raise _invalid("{text} is not a JSON list of day names", text=repr(text)) from None


# NoDecode: from the environment the value arrives as written ("7x", "mon-sat"), not as JSON.
ServiceDays = Annotated[frozenset[int], NoDecode, BeforeValidator(_service_days)]


def _date(value: Any) -> date:
    if isinstance(value, date):  # TOML's own dates (unquoted 2027-01-04) arrive as dates
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _invalid("{value} is not a date (YYYY-MM-DD)", value=repr(value))


def _span_ends(value: date | str) -> dict[str, date]:
    """`2027-01-04` or `"2027-02-01..2027-02-03"` as its first and last day."""
    text = value if isinstance(value, str) else value.isoformat()
    first, dots, last = text.partition("..")
    start = _date(first)
    return {"first": start, "last": _date(last) if dots else start}


class DaySpan(BaseModel):
    """One company day or a range of them (both ends included), with an optional name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first: date
    last: date
    name: str = Field("", max_length=80)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("date"), date | str):
            rest = {k: v for k, v in value.items() if k != "date"}
            return {**_span_ends(value["date"]), **rest}
        if isinstance(value, date | str):
            return _span_ends(value)
        if isinstance(value, dict) and "date" not in value:
            return value  # `first` and `last` written out
        raise _invalid(
            '{value}: write a date "2027-01-04", a range "2027-02-01..2027-02-03" '
            "or a table with `date` and `name`",
            value=repr(value),
        )

    @model_validator(mode="after")
    def _ordered(self) -> DaySpan:
        if self.last < self.first:
            raise _invalid("{last} is before {first}", first=str(self.first), last=str(self.last))
        if (self.last - self.first).days >= MAX_SPAN_DAYS:
            raise _invalid("a range of more than {n} days", n=MAX_SPAN_DAYS)
        return self

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


class HoursSettings(BaseModel):
    """The opening and closing time, local wall-clock time in `timezone`."""

    model_config = ConfigDict(extra="forbid")

    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> HoursSettings:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise _invalid("hours are local times without a zone (the zone is `timezone`)")
        if not self.start < self.end:
            raise _invalid(
                "start {start} must be before end {end}",
                start=self.start.isoformat("minutes"),
                end=self.end.isoformat("minutes"),
            )
        return self


class CalendarSettings(BaseModel):
    """The working calendar the SLA clock counts in (`cstui calendar show` prints it)."""

    model_config = ConfigDict(extra="forbid")

    service_days: ServiceDays = MONDAY_TO_FRIDAY
    # None: the top-level business_day_start / business_day_end (the older spelling).
    hours: HoursSettings | None = None
    public_holidays: bool = True  # China's statutory days off and 调休 workdays apply
    extra_holidays: list[DaySpan] = []
    extra_working_days: list[DaySpan] = []

    @model_validator(mode="after")
    def _consistent(self) -> CalendarSettings:
        off, on = _dates(self.extra_holidays), _dates(self.extra_working_days)
        both = off & on
        if both:
            raise _invalid(
                "{day} is both in extra_holidays and in extra_working_days", day=str(min(both))
            )
        if len(off) + len(on) > MAX_EXTRA_DAYS:
            raise _invalid("more than {n} extra holidays and working days", n=MAX_EXTRA_DAYS)
        return self

    def working_days(self) -> WorkingDays:
        return WorkingDays(
            service_days=self.service_days,
            public_holidays=self.public_holidays,
            extra_holidays=_dates(self.extra_holidays),
            extra_working_days=_dates(self.extra_working_days),
        )

    def day_names(self) -> dict[date, str]:
        """The names given to company days (a later entry's name wins)."""
        return {
            d: span.name
            for span in (*self.extra_holidays, *self.extra_working_days)
            if span.name
            for d in span.dates()
        }


def _dates(spans: list[DaySpan]) -> frozenset[date]:
    return frozenset(d for span in spans for d in span.dates())


def business_calendar(
    cal: CalendarSettings, *, timezone: str, day_start: time, day_end: time, hours_set: bool
) -> BusinessCalendar:
    """The calendar of `[calendar]` in `timezone`, with its hours or else the top-level
    `business_day_start`/`business_day_end` (`hours_set`: the file or environment set one)."""
    start, end = day_start, day_end
    if cal.hours is not None:
        if hours_set and (start, end) != (cal.hours.start, cal.hours.end):
            raise BadInput(
                "config: calendar.hours: disagrees with business_day_start/business_day_end;"
                " keep one of them"
            )
        start, end = cal.hours.start, cal.hours.end
    elif not start < end:
        raise BadInput(
            f"config: business_day_start: {start.isoformat('minutes')} must be before"
            f" business_day_end {end.isoformat('minutes')}"
        )
    try:
        tz = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise BadInput(f"config: timezone: unknown time zone {timezone!r}") from None
    return BusinessCalendar(tz=tz, day_start=start, day_end=end, days=cal.working_days())
