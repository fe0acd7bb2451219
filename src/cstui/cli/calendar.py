"""`cstui calendar show [YYYY-MM]`: the month as the SLA clock counts it.

It prints the calendar of the configuration in force here (`[calendar]`, `timezone`), the
same one every deadline of a store opened from this configuration is computed with: which
days are worked and why (public holidays, 调休 weekend workdays, company days), and the hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import click
from rich.cells import cell_len

from cstui.calendar_config import WEEKDAYS
from cstui.cli.context import clock_from_env, env_of, global_options, say
from cstui.config import rules_from_settings
from cstui.domain.calendar import WORKING_KINDS, BusinessCalendar, DayKind, public_holiday_name
from cstui.domain.display import inert
from cstui.errors import BadInput
from cstui.i18n import Lang

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# The grid's mark after a day's number; a plain working day has none.
_MARKS = {
    DayKind.WORKING: " ",
    DayKind.REST: "-",
    DayKind.PUBLIC_HOLIDAY: "H",
    DayKind.SHIFTED_WORKDAY: "S",
    DayKind.COMPANY_HOLIDAY: "C",
    DayKind.COMPANY_WORKDAY: "W",
}
_KIND_NAMES: dict[DayKind, tuple[str, str]] = {
    DayKind.WORKING: ("working day", "工作日"),
    DayKind.REST: ("rest day", "休息日"),
    DayKind.PUBLIC_HOLIDAY: ("public holiday", "法定节假日"),
    DayKind.SHIFTED_WORKDAY: ("shifted working day (调休)", "调休上班"),
    DayKind.COMPANY_HOLIDAY: ("company holiday", "公司假日"),
    DayKind.COMPANY_WORKDAY: ("company working day", "公司工作日"),
}
_WEEK_HEAD = {
    "en": "  Mon  Tue  Wed  Thu  Fri  Sat  Sun",
    "zh": "   一   二   三   四   五   六   日",
}
_TEXT: dict[str, tuple[str, str]] = {
    "hours": ("hours {start}–{end} ({tz})", "营业时间 {start}–{end}（{tz}）"),
    "service": ("service days: {days}", "服务日：{days}"),
    "public_on": ("China's public holidays apply", "适用中国法定节假日"),
    "public_off": ("China's public holidays do not apply", "不适用中国法定节假日"),
    "legend": ("legend", "图例"),
    "special": ("Days that differ from the weekly pattern:", "与每周安排不同的日子："),
    "total": (
        "{days} working days, {hours} business hours",
        "{days} 个工作日，{hours} 小时营业时间",
    ),
}
_ZH_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Day:
    """One date of the month as the clock sees it."""

    day: date
    kind: DayKind
    name: str  # a public holiday's or a company day's name; "" when none
    opening: datetime | None  # UTC; None on a day off
    closing: datetime | None


@click.group("calendar")
@global_options
def calendar() -> None:
    """The working calendar the SLA clock counts in (`[calendar]` in the config file)."""


@calendar.command("show")
@click.argument("month", required=False, metavar="[YYYY-MM]")
@global_options
@click.pass_context
def show(ctx: click.Context, month: str | None) -> None:
    """A month's working days, holidays, 调休 and company days, and the hours (default: this
    month in the configured time zone, by CSTUI_NOW when it is set)."""
    env = env_of(ctx)
    lang: Lang = env.settings.lang
    cal = rules_from_settings(env.settings).calendar
    year, number = _month(month, cal)
    names = env.settings.calendar.day_names()
    days = [_day(cal, d, names, lang) for d in _dates(year, number)]
    summary = _summary(env.settings.calendar.service_days, cal)
    env.emit(
        {"month": f"{year:04d}-{number:02d}", **summary, **_totals(days), "days": _json(days)},
        lambda: say(_render(year, number, days, cal, lang), nl=False),
    )


def _month(text: str | None, cal: BusinessCalendar) -> tuple[int, int]:
    if text is None:
        today = clock_from_env()().astimezone(cal.tz).date()
        return today.year, today.month
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or not 1900 <= int(found[1]) <= 2999:
        raise BadInput(f"MONTH: expected YYYY-MM (years 1900–2999), not {text!r}")
    return int(found[1]), int(found[2])


def _dates(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


def _day(cal: BusinessCalendar, d: date, names: dict[date, str], lang: Lang) -> Day:
    kind = cal.day_kind(d)
    name = names.get(d, "")
    if kind is DayKind.PUBLIC_HOLIDAY:
        name = public_holiday_name(d, lang) or ""
    hours = cal.hours_on(d)
    opening, closing = hours if hours is not None else (None, None)
    return Day(d, kind, name, opening, closing)


def _summary(service_days: frozenset[int], cal: BusinessCalendar) -> dict[str, Any]:
    return {
        "timezone": cal.tz.key,
        "service_days": [WEEKDAYS[n] for n in sorted(service_days)],
        "public_holidays": cal.days.public_holidays,
        "hours": {"start": _hhmm(cal.day_start), "end": _hhmm(cal.day_end)},
    }


def _totals(days: list[Day]) -> dict[str, int]:
    spans = [d.closing - d.opening for d in days if d.opening and d.closing]
    minutes = sum(span // timedelta(minutes=1) for span in spans)
    return {"working_days": len(spans), "business_minutes": minutes}


def _json(days: list[Day]) -> list[dict[str, Any]]:
    return [
        {
            "date": d.day.isoformat(),
            "weekday": WEEKDAYS[d.day.weekday()],
            "kind": d.kind.value,
            "working": d.kind in WORKING_KINDS,
            "name": d.name or None,
            "opening": d.opening.isoformat() if d.opening else None,
            "closing": d.closing.isoformat() if d.closing else None,
        }
        for d in days
    ]


def _render(year: int, month: int, days: list[Day], cal: BusinessCalendar, lang: Lang) -> str:
    lines = [f"{year:04d}-{month:02d}", *_header(cal, lang), "", _WEEK_HEAD[lang]]
    cells = ["     "] * days[0].day.weekday()
    for d in days:
        cells.append(f"  {d.day.day:>2}{_MARKS[d.kind]}")
        if len(cells) == 7:
            lines.append("".join(cells).rstrip())
            cells = []
    if cells:
        lines.append("".join(cells).rstrip())
    marks = [
        f"{_MARKS[k].strip()} {_say(_KIND_NAMES[k], lang)}"
        for k in _MARKS
        if k is not DayKind.WORKING
    ]
    lines += ["", f"{_text('legend', lang)}: " + " · ".join(marks), ""]
    special = [d for d in days if d.kind not in (DayKind.WORKING, DayKind.REST)]
    if special:
        lines.append(_text("special", lang))
        lines += [_special_line(d, lang) for d in special]
        lines.append("")
    totals = _totals(days)
    hours = f"{totals['business_minutes'] / 60:g}"
    lines.append(_text("total", lang, days=totals["working_days"], hours=hours))
    return "\n".join(lines) + "\n"


def _header(cal: BusinessCalendar, lang: Lang) -> list[str]:
    start, end = _hhmm(cal.day_start), _hhmm(cal.day_end)
    served = sorted(cal.days.service_days)
    names = [_ZH_WEEKDAYS[n] if lang == "zh" else WEEKDAYS[n] for n in served]
    return [
        _text("hours", lang, start=start, end=end, tz=cal.tz.key),
        _text("service", lang, days=(" " if lang == "en" else "、").join(names)),
        _text("public_on" if cal.days.public_holidays else "public_off", lang),
    ]


def _special_line(d: Day, lang: Lang) -> str:
    weekday = f"周{_ZH_WEEKDAYS[d.day.weekday()]}" if lang == "zh" else WEEKDAYS[d.day.weekday()]
    kind = _say(_KIND_NAMES[d.kind], lang)
    pad = " " * max(0, 26 - cell_len(kind))
    # A company day's name comes from the config file: shown, never obeyed.
    return f"  {d.day.isoformat()} {weekday}  {kind}{pad}{inert(d.name)}".rstrip()


def _hhmm(value: time) -> str:
    return value.isoformat("minutes")


def _text(key: str, lang: Lang, **values: object) -> str:
    return _say(_TEXT[key], lang).format(**values)


def _say(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang == "zh" else pair[0]
