"""What a supervisor watches, as pure rules: who is on shift, green-channel countdowns, and the
per-department sync sheet (部门同步表) of the 10:00 and 16:00 meetings.

Shifts overlap on purpose (DOMAIN.md: morning 08:00/09:00–16:00/17:00, evening
15:00/16:00–22:00/23:00, night 22:00/23:00–06:00/07:00): an agent counts as on shift from the
earliest start to the latest end of theirs, so a handover hour shows both teams.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol

from cstui.domain.model import Department, Escalation, EscalationState, Shift

SHIFT_HOURS: dict[Shift, tuple[time, time]] = {
    Shift.MORNING: (time(8, 0), time(17, 0)),
    Shift.EVENING: (time(15, 0), time(23, 0)),
    Shift.NIGHT: (time(22, 0), time(7, 0)),  # wraps past midnight
}
PRESENCE_FRESH = timedelta(seconds=90)  # the console beats every 30 s


class AgentState(StrEnum):
    """How the monitor labels an agent."""

    PAUSED = "paused"  # a supervisor paused their routing
    WORKING = "working"  # console open, a ticket in front of them
    ONLINE = "online"  # console open
    AWAY = "away"  # on shift, no console heartbeat
    OFF = "off"  # not on shift


# Whom a transfer should go to first: someone at their console, then on shift but away; a
# paused agent (taken off routing by a supervisor) or one off shift last.
_HANDOFF_RANK = {
    AgentState.ONLINE: 0,
    AgentState.WORKING: 0,
    AgentState.AWAY: 1,
    AgentState.PAUSED: 2,
    AgentState.OFF: 3,
}


def handoff_key(state: AgentState, open_tickets: int, name: str) -> tuple[int, int, str]:
    """The transfer picker's order: presence first, then the lightest load."""
    return (_HANDOFF_RANK[state], open_tickets, name)


def on_shift(shift: Shift | None, at: datetime, tz: tzinfo) -> bool:
    """Whether `at` falls within the shift's hours in the team's time zone."""
    if shift is None:
        return False
    start, end = SHIFT_HOURS[shift]
    now = at.astimezone(tz).time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def agent_state(
    *,
    shift: Shift | None,
    paused: bool,
    seen_at: datetime | None,
    viewing: int | None,
    now: datetime,
    tz: tzinfo,
) -> AgentState:
    """Paused wins; then a fresh console heartbeat; then the shift's hours."""
    if paused:
        return AgentState.PAUSED
    if seen_at is not None and now - seen_at <= PRESENCE_FRESH:
        return AgentState.WORKING if viewing is not None else AgentState.ONLINE
    return AgentState.AWAY if on_shift(shift, now, tz) else AgentState.OFF


def green_due(since: datetime, escalation_due: datetime | None, window: timedelta) -> datetime:
    """A green ticket's solution is due `window` (2 h) after it was put on the channel, or by
    its green escalation's own due time when that is sooner."""
    due = since + window
    return min(due, escalation_due) if escalation_due is not None else due


def green_since(created_at: datetime, starts: Iterable[datetime | None]) -> datetime:
    """When a ticket entered the green channel: the earliest of being put on it and its first
    green escalation; a ticket that was green from the start counts from its creation."""
    found = [s for s in starts if s is not None]
    return min(found) if found else created_at


def ticket_green_due(
    created_at: datetime,
    marked_at: datetime | None,
    escalations: Iterable[Escalation],
    window: timedelta,
) -> datetime:
    """A green ticket's deadline from what the ticket carries: the one definition the monitor's
    Green tab, the queue row, the ticket pane and the ticket JSON (`due.green`) all show."""
    green = [e for e in escalations if e.green]
    since = green_since(created_at, [marked_at, *(e.created_at for e in green)])
    open_dues = [e.due_at for e in green if e.is_open]
    return green_due(since, min(open_dues) if open_dues else None, window)


def remaining(due: datetime, now: datetime) -> timedelta:
    """Time left (negative when overdue)."""
    return due - now


@dataclass(frozen=True, slots=True)
class SyncItem:
    """One line of the sync sheet: a ticket waiting on a department."""

    department: Department
    escalation_id: int
    ticket_id: int
    subject: str
    owner: str | None
    state: EscalationState
    green: bool
    created_at: datetime
    due_at: datetime


def age(item: SyncItem, now: datetime) -> timedelta:
    return max(timedelta(0), now - item.created_at)


def sync_sheet(items: Iterable[SyncItem]) -> dict[Department, list[SyncItem]]:
    """Per department, green first, then oldest first: what the meeting goes through."""
    sheet: dict[Department, list[SyncItem]] = {}
    for item in items:
        sheet.setdefault(item.department, []).append(item)
    for rows in sheet.values():
        rows.sort(key=lambda i: (not i.green, i.created_at, i.escalation_id))
    return dict(sorted(sheet.items(), key=lambda kv: list(Department).index(kv[0])))


@dataclass(frozen=True, slots=True)
class DepartmentLine:
    """A department's line on the sync sheet: what waits on it, and how much is overdue
    (an escalation past its due time, which the `escalation_overdue` rule also tells the
    ticket's owner of)."""

    department: Department
    waiting: int
    overdue: int


class _Waiting(Protocol):
    @property
    def department(self) -> Department: ...
    @property
    def due_at(self) -> datetime: ...


def department_lines(items: Iterable[_Waiting], now: datetime) -> list[DepartmentLine]:
    """Each department with something waiting, in the sheet's order."""
    waiting: dict[Department, int] = {}
    overdue: dict[Department, int] = {}
    for item in items:
        waiting[item.department] = waiting.get(item.department, 0) + 1
        if now >= item.due_at:
            overdue[item.department] = overdue.get(item.department, 0) + 1
    return [DepartmentLine(d, waiting[d], overdue.get(d, 0)) for d in Department if d in waiting]


SYNC_COLUMNS = (
    "department",
    "escalation_id",
    "ticket_id",
    "subject",
    "owner",
    "state",
    "green",
    "waiting_hours",
    "due_at",
    "overdue",
)


def sync_csv(sheet: dict[Department, list[SyncItem]], now: datetime, tz: tzinfo) -> str:
    """The sync sheet as CSV (times in the team's zone), one row per waiting escalation."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SYNC_COLUMNS)
    for department, rows in sheet.items():
        for item in rows:
            writer.writerow(_sync_row(department, item, now, tz))
    return out.getvalue()


def _sync_row(department: Department, item: SyncItem, now: datetime, tz: tzinfo) -> Sequence[str]:
    return (
        department.value,
        str(item.escalation_id),
        str(item.ticket_id),
        item.subject,
        item.owner or "",
        item.state.value,
        "yes" if item.green else "no",
        f"{age(item, now).total_seconds() / 3600:.1f}",
        item.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "yes" if now >= item.due_at else "no",
    )
