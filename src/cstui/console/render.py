"""Pure formatting for the console: widths in terminal cells, countdowns, masking.

Chinese characters take two cells; every width here is in cells (rich's `cell_len`), so a
column of names or subjects lines up whatever the script. Text is made inert first
(`cstui.domain.display`): a control character has no width, and must never be written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style

from cstui.domain.display import inert
from cstui.domain.money import yuan
from cstui.domain.sla import Risk, risk

ELLIPSIS = "…"


def fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` on one line, inert, in exactly `width` cells: cut with an ellipsis, or padded."""
    if width <= 0:
        return ""
    text = " ".join(inert(text).split())
    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + ELLIPSIS
        return set_cell_size(text, width)
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


def highlighted(text: str, spans: list[tuple[int, int]], base: Style, mark: Style) -> list[Segment]:
    """`text` as segments, the (start, end) character spans in `mark` (clipped to it)."""
    segments, pos = [], 0
    for start, end in spans:
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        segments += [Segment(text[pos:start], base), Segment(text[start:end], base + mark)]
        pos = end
    segments.append(Segment(text[pos:], base))
    return [s for s in segments if s.text]


def span(left: timedelta) -> str:
    """A short duration: 45m, 3h05m, 2d4h (always positive; the caller says which way)."""
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{mins:02d}m"
    return f"{mins}m"


def countdown(due: datetime | None, now: datetime) -> str:
    """Time left until `due` (`-` in front once it has passed); empty without a deadline."""
    if due is None:
        return ""
    left = due - now
    return span(left) if left >= timedelta(0) else "-" + span(left)


def risk_of(due: datetime | None, now: datetime, window: timedelta) -> Risk:
    return risk(due, now, window)


def money(amount: float) -> str:
    """The one way money is written (`domain.money.yuan`): `¥1,215.49`."""
    return yuan(amount)


def local(when: datetime | None, tz: object | None, fmt: str = "%m-%d %H:%M") -> str:
    if when is None:
        return ""
    return (when.astimezone(tz) if tz is not None else when).strftime(fmt)  # type: ignore[arg-type]


__all__ = [
    "Risk",
    "countdown",
    "fit",
    "local",
    "money",
    "risk_of",
    "span",
]
