"""What the monitor shows, gathered from a `HelpdeskStore` in one call each (run in a thread).

`gather_floor` is the live part (queues, SLA, green, escalations, agents, transfers), cheap
enough to repeat every 2 seconds: every read is an aggregate or a short limited list.
`gather_recent` (today, this week, the trend) and `gather_month` (a chosen month and the one
before) replay the event log, so the monitor asks for them far less often, and the month
least often. Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from cstui.domain import metrics as m
from cstui.domain.channels import Delivery, DeliveryState
from cstui.domain.model import Ticket, TransferRequest
from cstui.domain.report import Window, previous_window, window
from cstui.errors import BadInput, NotFound
from cstui.store.base import (
    AgentLoad,
    GreenTicket,
    HelpdeskStore,
    QueueDepth,
    View,
    WaitingEscalation,
)

SLA_ROWS = 50  # the most urgent at-risk tickets listed; the count covers them all
FAILED_DELIVERIES = 100  # failed deliveries counted (shown as "100+" beyond)
TREND_DAYS = 14


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
    # Newest first, at most FAILED_DELIVERIES; None: the store cannot list them (a team
    # server's API lists deliveries per ticket only).
    failed_deliveries: tuple[Delivery, ...] | None = ()
    # How many times each automation rule fired since midnight in the team's time zone;
    # None: the store cannot say (a team server from before automations).
    fired: Mapping[str, int] | None = None


def gather_floor(store: HelpdeskStore, now: datetime, tz: tzinfo = UTC) -> Floor:
    sla = store.list_tickets(View.SLA_RISK, actor=None, limit=SLA_ROWS).items
    return Floor(
        at=now,
        depth=store.queue_depth(),
        sla=tuple(sla),
        green=tuple(store.green_board()),
        escalations=tuple(store.waiting_escalations()),
        agents=tuple(store.agent_loads()),
        transfers=tuple(t for t in store.pending_transfers() if t.state == "pending"),
        failed_deliveries=_failed_deliveries(store),
        fired=_fired_today(store, now, tz),
    )


def _fired_today(store: HelpdeskStore, now: datetime, tz: tzinfo) -> Mapping[str, int] | None:
    try:
        return store.automations_fired(since=window(now, "day", tz).since)
    except NotFound:
        return None


def _failed_deliveries(store: HelpdeskStore) -> tuple[Delivery, ...] | None:
    try:
        return tuple(store.deliveries(state=DeliveryState.FAILED, limit=FAILED_DELIVERIES))
    except BadInput:
        return None


@dataclass(frozen=True, slots=True)
class Recent:
    """Today and this week, a daily trend, and this week per agent: refreshed often."""

    at: datetime
    today: m.Metrics
    week: m.Metrics
    trend: tuple[tuple[date, m.Metrics], ...]
    agents: Mapping[str, m.Metrics]  # this week, per agent (repeat-dispatch rate)


@dataclass(frozen=True, slots=True)
class Month:
    """A chosen month and the one before: a bigger replay, so read on its own and rarely."""

    window: Window
    current: m.Metrics
    previous: m.Metrics
    # By week (from Monday) over both months, for the trend charts: from the same read.
    weeks: tuple[tuple[date, m.Metrics], ...] = ()


def gather_recent(store: HelpdeskStore, *, now: datetime, tz: tzinfo) -> Recent:
    """Today, this week (team and per agent) and each day of the trend, from the store's
    kept sums: a few small reads, however long the log."""
    today, week = window(now, "day", tz), window(now, "week", tz)
    trend_since = today.since - timedelta(days=TREND_DAYS - 1)
    this_week = store.quality(since=week.since, until=week.until)
    return Recent(
        at=now,
        today=store.quality(since=today.since, until=today.until).team,
        week=this_week.team,
        trend=tuple(_trend(store, trend_since, today, tz)),
        agents=this_week.agents,
    )


def _trend(
    store: HelpdeskStore, since: datetime, today: Window, tz: tzinfo
) -> list[tuple[date, m.Metrics]]:
    """One row per local day from the one holding `since` to today."""
    return _periods(store, "day", since, today.until, tz)


def _periods(
    store: HelpdeskStore, period: m.Period, since: datetime, until: datetime, tz: tzinfo
) -> list[tuple[date, m.Metrics]]:
    """One row per local day or week from the one holding `since` to the one holding
    `until`, each cut to [since, until) (as `metrics.by_period` cuts them)."""
    rows: list[tuple[date, m.Metrics]] = []
    start = m.period_start(since, period, tz)
    while (w := window(datetime.combine(start, time(12), tzinfo=tz), period, tz)).since < until:
        span = store.quality(since=max(w.since, since), until=min(w.until, until))
        rows.append((start, span.team))
        start = m.next_period(start, period)
    return rows


def gather_month(store: HelpdeskStore, *, chosen: datetime, tz: tzinfo) -> Month:
    """The month holding `chosen` and the month before, from the store's kept sums."""
    month = window(chosen, "month", tz)
    before = previous_window(month, tz)
    return Month(
        window=month,
        current=store.quality(since=month.since, until=month.until).team,
        previous=store.quality(since=before.since, until=before.until).team,
        weeks=tuple(_periods(store, "week", before.since, month.until, tz)),
    )


def next_delay(every: float, took: float, pacing: float) -> float:
    """Seconds until the next refresh: `every`, or `pacing` times the last one's duration."""
    return max(every, pacing * took)
