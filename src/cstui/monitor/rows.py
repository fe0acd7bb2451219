"""The monitor's tables as plain rows: cells of text and a tone for the row's colour.

Pure functions of the gathered data, the clock and the language, so tests can read exactly
what a supervisor sees without a terminal. Tones name theme tokens (`$sla-breached` …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from cstui.console.render import countdown, fit, local, span
from cstui.domain import metrics as m
from cstui.domain.model import Channel, Department, Tier
from cstui.domain.report import REPORT_FIGURES, Goal
from cstui.domain.sla import Risk, risk
from cstui.domain.supervision import AgentState, agent_state, department_lines
from cstui.i18n import label, t
from cstui.monitor.data import FAILED_DELIVERIES, Floor, Month, Recent
from cstui.reporting import change_text, goal_text, value_text, verdict_text
from cstui.store.base import GreenTicket

SUBJECT_WIDTH = 24
PENDING = "…"  # a figure still being replayed
DEPARTMENTS = list(Department)  # the sync sheet's order


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    cells: tuple[str, ...]
    tone: str | None = None  # breached, risk, ok, green, paused, muted


def _risk_tone(r: Risk) -> str:
    return {Risk.BREACHED: "breached", Risk.AT_RISK: "risk"}.get(r, "ok")


def depth_rows(floor: Floor) -> list[Row]:
    """Queue depth: per view, then per channel, then per tier (zero rows kept: a 0 is news)."""
    d = floor.depth
    rows = [
        Row(f"view:{k}", (t("monitor.by_view"), t(f"view.{k}"), str(n))) for k, n in d.views.items()
    ]
    rows.append(
        Row("breached", (t("monitor.by_view"), t("risk.breached"), str(d.breached)), "breached")
    )
    for c in Channel:
        rows.append(
            Row(
                f"channel:{c}", (t("monitor.by_channel"), label(c), str(d.channels.get(c.value, 0)))
            )
        )
    for tier in Tier:
        rows.append(
            Row(
                f"tier:{tier}", (t("monitor.by_tier"), label(tier), str(d.tiers.get(tier.value, 0)))
            )
        )
    return rows


def sla_rows(floor: Floor, window: timedelta) -> list[Row]:
    """At-risk and breached tickets, the nearest deadline first."""
    rows = []
    for ticket in floor.sla:
        due = ticket.due.nearest()
        r = risk(due, floor.at, window)
        cells = (
            f"#{ticket.id}",
            fit(ticket.subject, SUBJECT_WIDTH),
            ticket.owner or "—",
            label(ticket.customer.tier),
            t(f"risk.{r.value}"),
            countdown(due, floor.at),
        )
        rows.append(Row(str(ticket.id), cells, _risk_tone(r)))
    return rows


def green_left(g: GreenTicket, now: datetime) -> str:
    left = g.due_at - now
    return t("due.in", left=span(left)) if left >= timedelta(0) else t("due.over", left=span(left))


def green_rows(floor: Floor) -> list[Row]:
    rows = []
    for g in floor.green:
        tone = "breached" if floor.at >= g.due_at else "green"
        cells = (
            f"#{g.ticket_id}",
            fit(g.subject, SUBJECT_WIDTH),
            g.owner or "—",
            green_left(g, floor.at),
        )
        rows.append(Row(str(g.ticket_id), cells, tone))
    return rows


def green_strip(floor: Floor, shown: int = 3) -> str:
    """The pinned line(s): the soonest green tickets with their 2-hour countdown."""
    if not floor.green:
        return t("monitor.green_none")
    parts = [f"#{g.ticket_id} {green_left(g, floor.at)}" for g in floor.green[:shown]]
    more = len(floor.green) - shown
    text = " · ".join(parts) + (f" · {t('monitor.more', n=more)}" if more > 0 else "")
    return f"{t('monitor.green', n=len(floor.green))}: {text}"


def delivery_summary(floor: Floor, shown: int = 3) -> str:
    """One line: how many replies, acknowledgements and surveys failed, and the newest
    failures with why (a recipient and a relay's answer are data: the caller shows them
    inert)."""
    failed = floor.failed_deliveries
    if failed is None:
        return t("monitor.deliveries_unknown")
    if not failed:
        return t("monitor.deliveries_ok")
    count = f"{len(failed)}+" if len(failed) >= FAILED_DELIVERIES else str(len(failed))
    parts = [
        f"#{d.ticket_id} {d.kind.value} → {_cut(d.recipient, 40)}: {_cut(d.error or '?', 60)}"
        for d in failed[:shown]
    ]
    return f"{t('monitor.deliveries_failed', n=count)} · " + " · ".join(parts)


def automations_summary(floor: Floor) -> str:
    """One line: what the automations did today, the urgent kinds named first."""
    fired = floor.fired
    if fired is None:
        return ""
    total = sum(fired.values())
    if not total:
        return t("monitor.automations_none")
    groups = {
        "green_escalation": fired.get("green_escalation", 0),
        "green_warning": fired.get("green_warning", 0),
        "breach": sum(n for rule, n in fired.items() if rule.endswith("_breach")),
        "risk": sum(n for rule, n in fired.items() if rule.endswith("_risk")),
    }
    other = total - sum(groups.values())
    parts = [t(f"monitor.automations.{k}", n=n) for k, n in groups.items() if n]
    if other:
        parts.append(t("monitor.automations.other", n=other))
    return f"{t('monitor.automations', n=total)} ({', '.join(parts)})"


def _cut(text: str, most: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= most else flat[: most - 1] + "…"


def escalation_rows(floor: Floor, tz: tzinfo | None) -> list[Row]:
    """The sync sheet: per department (green first, then oldest), with the waiting age."""
    ordered = sorted(
        floor.escalations,
        key=lambda e: (
            DEPARTMENTS.index(e.department),
            not e.green,
            e.created_at,
            e.id,
        ),
    )
    rows = []
    for e in ordered:
        overdue = floor.at >= e.due_at
        tone = "breached" if overdue else ("green" if e.green else None)
        cells = (
            label(e.department),
            f"#{e.ticket_id}",
            fit(e.subject, 18),
            e.owner or "—",
            label(e.state),
            span(floor.at - e.created_at),
            local(e.due_at, tz, "%m-%d %H:%M"),
        )
        rows.append(Row(str(e.id), cells, tone))
    return rows


def department_counts(floor: Floor) -> str:
    """Each department's line: how many wait on it, and how many of them are overdue."""
    parts = []
    for line in department_lines(floor.escalations, floor.at):
        late = f" ({t('monitor.dept_overdue', n=line.overdue)})" if line.overdue else ""
        parts.append(f"{label(line.department)} {line.waiting}{late}")
    return " · ".join(parts) or t("monitor.none_waiting")


_STATE_TONE = {
    AgentState.PAUSED: "paused",
    AgentState.AWAY: "risk",
    AgentState.OFF: "muted",
    AgentState.WORKING: "ok",
}


def agent_rows(floor: Floor, tz: tzinfo, week: Mapping[str, m.Metrics] | None) -> list[Row]:
    """Agents on shift (or online, or paused), the busiest first, with their week's
    repeat-dispatch rate from the log; the rest are summed up by `off_shift_summary`."""
    rows = []
    for a in sorted(floor.agents, key=lambda a: (-a.open_tickets, a.name)):
        state = agent_state(
            shift=a.shift,
            paused=a.routing_paused,
            seen_at=a.seen_at,
            viewing=a.viewing,
            now=floor.at,
            tz=tz,
        )
        if state is AgentState.OFF:
            continue
        rate = week.get(a.name) if week else None
        repeat = value_text("repeat_dispatch_rate", rate.repeat_dispatch_rate if rate else None)
        cells = (
            a.name,
            label(a.shift) if a.shift else "—",
            t(f"monitor.state.{state.value}"),
            str(a.open_tickets),
            repeat,
        )
        rows.append(Row(a.name, cells, _STATE_TONE.get(state)))
    return rows


def off_shift_summary(floor: Floor, tz: tzinfo) -> str:
    """Off-shift agents are left out of the table; their open tickets still need owners."""
    off = [
        a
        for a in floor.agents
        if agent_state(
            shift=a.shift,
            paused=a.routing_paused,
            seen_at=a.seen_at,
            viewing=a.viewing,
            now=floor.at,
            tz=tz,
        )
        is AgentState.OFF
    ]
    return t("monitor.off_shift", agents=len(off), tickets=sum(a.open_tickets for a in off))


def transfer_rows(floor: Floor) -> list[Row]:
    return [
        Row(
            str(r.id),
            (
                f"#{r.ticket_id}",
                r.from_owner or "—",
                r.to_agent,
                fit(r.reason, 24),
                span(floor.at - r.created_at),
            ),
        )
        for r in floor.transfers
    ]


def _goal_text(name: str, goal: Goal | None) -> str:
    if goal is not None and goal.kind == "gain":
        return t("monitor.goal.gain", value=f"{goal.value * 100:.1f}")
    return goal_text(name, goal)


def figure_rows(recent: Recent | None, month: Month | None, goals: Mapping[str, Goal]) -> list[Row]:
    """Each figure: target, today, this week, the chosen month, and the change on the month
    before; the tone says whether the chosen month is on target. "…" while still computing."""
    deltas = m.change(month.current, month.previous) if month else {}
    rows = []
    for name in REPORT_FIGURES:
        goal = goals.get(name)
        value = m.figure(month.current, name) if month else None
        verdict = goal.judge(value, deltas[name]) if goal and month else None
        cells = (
            t(f"monitor.short.{name}"),
            _goal_text(name, goal),
            value_text(name, m.figure(recent.today, name)) if recent else PENDING,
            value_text(name, m.figure(recent.week, name)) if recent else PENDING,
            value_text(name, value) if month else PENDING,
            change_text(name, deltas[name]) if month else PENDING,
            verdict_text(verdict),
        )
        tone = {True: "ok", False: "breached"}.get(verdict) if verdict is not None else None
        rows.append(Row(name, cells, tone))
    return rows
