"""The periodic quality report (质检报告): a period's figures against targets and the last period.

Pure: the caller hands in the log (every event of the tickets touched in either period is
enough, see `HelpdeskStore.window_events`) and the targets; this module picks the periods,
computes both with `metrics.compute` and says, per figure, whether the target is met.

Targets are of two kinds. Most are a bound (CSAT at least 90%, complaint rate at most 2%).
The documents set "very satisfied" as a gain: its share should rise by 5 points on the
period before, so it is judged on the change, not on the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from cstui.domain import metrics as m
from cstui.domain.model import Event
from cstui.errors import BadInput

TargetKind = Literal["at_least", "at_most", "gain"]

# The report's figures, in the order a supervisor reads them.
REPORT_FIGURES: tuple[str, ...] = (
    "csat",
    "very_satisfied",
    "complaint_rate",
    "second_complaint_rate",
    "repeat_dispatch_rate",
    "first_contact_resolution",
    "basic_first_contact_resolution",
    "avg_first_response",
    "avg_resolution_time",
)
DURATION_FIGURES = frozenset({"avg_first_response", "avg_resolution_time"})


@dataclass(frozen=True, slots=True)
class Goal:
    """One target: a bound on the value, or a minimum gain on the previous period."""

    kind: TargetKind
    value: float  # a share, seconds for a duration, or share points for a gain

    def judge(self, value: float | None, delta: float | None) -> bool | None:
        """Met, missed, or None when there is nothing to judge yet."""
        if self.kind == "gain":
            return None if delta is None else delta >= self.value - 1e-9
        if value is None:
            return None
        return value >= self.value if self.kind == "at_least" else value <= self.value


# DOMAIN.md's figures; `cstui.config.TargetSettings` makes each one configurable.
DEFAULT_GOALS: Mapping[str, Goal] = {
    "csat": Goal("at_least", 0.90),
    "very_satisfied": Goal("gain", 0.05),
    "complaint_rate": Goal("at_most", 0.02),
    "second_complaint_rate": Goal("at_most", 0.015),
    "repeat_dispatch_rate": Goal("at_most", 0.08),
    "basic_first_contact_resolution": Goal("at_least", 0.98),
    "avg_first_response": Goal("at_most", 20 * 60.0),
}


@dataclass(frozen=True, slots=True)
class Window:
    """A period: local dates [start, end) and the same bounds as UTC instants."""

    period: m.Period
    start: date
    end: date
    since: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class Line:
    """One figure of the report."""

    name: str
    value: float | None
    previous: float | None
    change: float | None
    goal: Goal | None
    on_target: bool | None


@dataclass(frozen=True, slots=True)
class Report:
    current: Window
    previous: Window
    figures: m.Metrics
    previous_figures: m.Metrics
    lines: tuple[Line, ...]


def _instant(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def window(at: datetime, period: m.Period, tz: tzinfo) -> Window:
    """The day, week (from Monday) or month holding `at`, in the team's time zone."""
    if period not in m.PERIODS:
        raise BadInput(f"--period: expected one of {', '.join(m.PERIODS)}, got {period!r}")
    start = m.period_start(at, period, tz)
    end = m.next_period(start, period)
    return Window(period, start, end, _instant(start, tz), _instant(end, tz))


def previous_window(w: Window, tz: tzinfo) -> Window:
    """The period just before `w` (the month before, not 30 days before)."""
    day_before = datetime.combine(w.start - timedelta(days=1), time(12), tzinfo=tz)
    return window(day_before, w.period, tz)


def lines(
    current: m.Metrics, previous: m.Metrics, goals: Mapping[str, Goal] = DEFAULT_GOALS
) -> tuple[Line, ...]:
    """Each report figure with its previous value, the change and the verdict."""
    deltas = m.change(current, previous)
    out: list[Line] = []
    for name in REPORT_FIGURES:
        value, delta, goal = m.figure(current, name), deltas[name], goals.get(name)
        verdict = goal.judge(value, delta) if goal else None
        out.append(Line(name, value, m.figure(previous, name), delta, goal, verdict))
    return tuple(out)


def build(
    events: Iterable[Event],
    *,
    at: datetime,
    period: m.Period,
    tz: tzinfo,
    goals: Mapping[str, Goal] = DEFAULT_GOALS,
) -> Report:
    """The report for the period holding `at`, compared with the period before it."""
    cur = window(at, period, tz)
    prev = previous_window(cur, tz)
    log = list(events)
    now = m.compute(log, since=cur.since, until=cur.until)
    before = m.compute(log, since=prev.since, until=prev.until)
    return Report(cur, prev, now, before, lines(now, before, goals))


def assemble(
    figures: Callable[[Window], m.Metrics],
    *,
    at: datetime,
    period: m.Period,
    tz: tzinfo,
    goals: Mapping[str, Goal] = DEFAULT_GOALS,
) -> Report:
    """The report for the period holding `at`, each window's figures from `figures` (the
    store's kept sums): the same report as `build` over the log."""
    cur = window(at, period, tz)
    prev = previous_window(cur, tz)
    now, before = figures(cur), figures(prev)
    return Report(cur, prev, now, before, lines(now, before, goals))
