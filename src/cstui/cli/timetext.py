"""Times in the CLI's human output: in the configured time zone, and saying which.

`--json` keeps ISO 8601 in UTC (what scripts read); people read local time with its offset,
e.g. `12-07 03:36 +08:00`, so a UTC clock is never mistaken for the floor's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cstui.errors import BadInput


def zone(name: str) -> tzinfo:
    """The configured zone (`timezone` in the config file)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"config: timezone: no such time zone: {name}") from None


def offset(tz: tzinfo, at: datetime | None = None) -> str:
    """The zone's UTC offset at `at` (now when None) as `+08:00`."""
    delta = (at or datetime.now(UTC)).astimezone(tz).utcoffset() or timedelta(0)
    sign = "-" if delta < timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def stamp(when: datetime | None, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A local time with its offset (`2026-12-07 03:36 +08:00`), or — when there is none."""
    if when is None:
        return "—"
    return f"{when.astimezone(tz).strftime(fmt)} {offset(tz, when)}"


def short(when: datetime | None, tz: tzinfo) -> str:
    """A local time for a table cell (`12-07 03:36`); the column header carries the zone."""
    return "—" if when is None else when.astimezone(tz).strftime("%m-%d %H:%M")
