"""What the monitor shows, gathered from a `HelpdeskStore` in one call each (run in a thread).

`gather_floor` is the live part (queues, SLA, green, escalations, agents, transfers), cheap
enough to repeat every 2 seconds: every read is an aggregate or a short limited list.
`gather_figures` replays the event log of the last weeks for the quality figures, so the
monitor asks for it far less often. Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from cstui.domain import metrics as m
from cstui.domain.model import Ticket, TransferRequest
from cstui.domain.report import Goal, Window, previous_window, window
from cstui.store.base import (
    AgentLoad,
    GreenTicket,
    HelpdeskStore,
    QueueDepth,
    View,
    WaitingEscalation,
)

SLA_ROWS = 50  # the most urgent at-risk tickets listed; the count covers them all
TREND_DAYS = 14
TREND_FIGURES = (
    "csat",
    "complaint_rate",
    "repeat_dispatch_rate",
    "avg_first_response",
    "first_contact_resolution",
)


@dataclass(frozen=True, slots=True)
class Floor:
    """One refresh of the live part of the monitor."""

    at: datetime
    depth: QueueDepth
    sla: tuple[Ticket, ...]
    green: tuple[GreenTicket, ...]
    escalations: tuple[WaitingEscalation, ...]
    agents: tuple[AgentLoad, ...]
    transfers: tuple[TransferRequest, ...]


def gather_floor(store: HelpdeskStore, now: datetime) -> Floor:
    sla = store.list_tickets(View.SLA_RISK, actor=None, limit=SLA_ROWS).items
    return Floor(
        at=now,
        depth=store.queue_depth(),
        sla=tuple(sla),
        green=tuple(store.green_board()),
        escalations=tuple(store.waiting_escalations()),
        agents=tuple(store.agent_loads()),
        transfers=tuple(t for t in store.pending_transfers() if t.state == "pending"),
    )


@dataclass(frozen=True, slots=True)
class Figures:
    """The team's figures for today, this week and a chosen month, with a daily trend."""

    at: datetime
    today: m.Metrics
    week: m.Metrics
    chosen: m.Metrics
    chosen_previous: m.Metrics
    chosen_window: Window
    trend: tuple[tuple[date, m.Metrics], ...]
    agents: Mapping[str, m.Metrics]  # this week, per agent (repeat-dispatch rate)
    goals: Mapping[str, Goal]


def figure_windows(now: datetime, chosen: datetime, tz: tzinfo) -> tuple[Window, ...]:
    """Today, this week, the chosen month and the month before it."""
    month = window(chosen, "month", tz)
    return (window(now, "day", tz), window(now, "week", tz), month, previous_window(month, tz))


def gather_figures(
    store: HelpdeskStore,
    *,
    now: datetime,
    chosen: datetime,
    tz: tzinfo,
    goals: Mapping[str, Goal],
) -> Figures:
    """One read of the log covering every window the monitor shows, then pure replays."""
    today, week, month, before = figure_windows(now, chosen, tz)
    trend_since = today.since - timedelta(days=TREND_DAYS - 1)
    since = min(trend_since, week.since, before.since)
    until = max(today.until, month.until)
    log = list(store.window_events(since=since, until=until))
    trend = m.by_period(log, period="day", tz=tz, since=trend_since, until=today.until)
    return Figures(
        at=now,
        today=m.compute(log, since=today.since, until=today.until),
        week=m.compute(log, since=week.since, until=week.until),
        chosen=m.compute(log, since=month.since, until=month.until),
        chosen_previous=m.compute(log, since=before.since, until=before.until),
        chosen_window=month,
        trend=tuple(trend),
        agents=m.by_agent(log, since=week.since, until=week.until),
        goals=goals,
    )


def trend_values(figures: Figures, name: str) -> list[float]:
    """A figure per day for a sparkline; a day without data repeats the day before."""
    values: list[float] = []
    for _day, day_metrics in figures.trend:
        value = m.figure(day_metrics, name)
        values.append(value if value is not None else (values[-1] if values else 0.0))
    return values
