"""Column values, fast: times as the store's SQLite text (from a table), JSON strings.

Story time is integer epoch seconds, formatted from tables, because datetime arithmetic
and `isoformat` dominated the seed's cost.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from cstui.demo.vocabulary import _DAY

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HMS = tuple(
    f"{h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)
)
_DAY_PREFIX: dict[int, str] = {}


def _fmt_text(ts: int) -> str:
    """Epoch seconds as the store's SQLite text (schema.UtcDateTime), from a table."""
    day, rem = divmod(ts, _DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = f"{_EPOCH + timedelta(days=day):%Y-%m-%dT}"
    return prefix + _HMS[rem]


def _fmt_datetime(ts: int) -> datetime:
    """PostgreSQL gets datetimes; SQLite the text of `_fmt_text`."""
    return datetime.fromtimestamp(ts, UTC)


def _iso_text(d: datetime) -> str:
    """An aware datetime as the store's SQLite text; whole UTC seconds from the table."""
    if d.tzinfo is UTC and not d.microsecond:
        return _fmt_text(int(d.timestamp()))
    return d.astimezone(UTC).isoformat(timespec="microseconds")[:26]


def _same(d: datetime) -> datetime:
    return d


@lru_cache(maxsize=1024)
def _q(value: str) -> str:
    """A JSON string, as the store's `json.dumps(..., ensure_ascii=False)` writes it (the
    texts are a few constants, so each is encoded once)."""
    return json.dumps(value, ensure_ascii=False)


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
