"""Pure supervision rules: shifts, agent states, the green countdown, the sync sheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cstui.domain.model import Department, EscalationState, Shift
from cstui.domain.supervision import (
    AgentState,
    SyncItem,
    agent_state,
    green_due,
    on_shift,
    sync_csv,
    sync_sheet,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("shift", "hour", "expected"),
    [
        (Shift.MORNING, 7, False),
        (Shift.MORNING, 8, True),
        (Shift.MORNING, 16, True),  # the handover hour shows both teams
        (Shift.EVENING, 16, True),
        (Shift.MORNING, 17, False),
        (Shift.NIGHT, 23, True),
        (Shift.NIGHT, 3, True),
        (Shift.NIGHT, 7, False),
        (None, 10, False),
    ],
)
def test_on_shift_in_the_teams_zone(shift: Shift | None, hour: int, expected: bool) -> None:
    assert on_shift(shift, local(hour).astimezone(UTC), SHANGHAI) is expected


def test_agent_state_paused_wins_then_heartbeat_then_shift() -> None:
    now = local(10)
    kw = {"shift": Shift.MORNING, "now": now, "tz": SHANGHAI}
    assert agent_state(paused=True, seen_at=now, viewing=1, **kw) is AgentState.PAUSED
    assert agent_state(paused=False, seen_at=now, viewing=1, **kw) is AgentState.WORKING
    assert agent_state(paused=False, seen_at=now, viewing=None, **kw) is AgentState.ONLINE
    stale = now - timedelta(minutes=5)
    assert agent_state(paused=False, seen_at=stale, viewing=1, **kw) is AgentState.AWAY
    kw["shift"] = Shift.NIGHT
    assert agent_state(paused=False, seen_at=None, viewing=None, **kw) is AgentState.OFF


def test_green_due_is_two_hours_or_the_sooner_escalation() -> None:
    since = local(9)
    two = timedelta(hours=2)
    assert green_due(since, None, two) == local(11)
    assert green_due(since, local(10), two) == local(10)
    assert green_due(since, local(12), two) == local(11)


def item(dept: Department, eid: int, hour: int, green: bool = False) -> SyncItem:
    return SyncItem(
        department=dept,
        escalation_id=eid,
        ticket_id=100 + eid,
        subject=f'退货 {eid}, "急"',
        owner="alice",
        state=EscalationState.REQUESTED,
        green=green,
        created_at=local(hour),
        due_at=local(hour + 2),
    )


def test_sync_sheet_groups_by_department_green_then_oldest() -> None:
    items = [
        item(Department.QC, 1, 8),
        item(Department.WAREHOUSE, 2, 9),
        item(Department.WAREHOUSE, 3, 7),
        item(Department.WAREHOUSE, 4, 9, green=True),
    ]
    sheet = sync_sheet(items)
    assert list(sheet) == [Department.WAREHOUSE, Department.QC]
    assert [i.escalation_id for i in sheet[Department.WAREHOUSE]] == [4, 3, 2]
    rows = list(csv.DictReader(io.StringIO(sync_csv(sheet, local(10), SHANGHAI))))
    assert [r["escalation_id"] for r in rows] == ["4", "3", "2", "1"]
    assert rows[1]["waiting_hours"] == "3.0" and rows[1]["overdue"] == "yes"
    assert rows[0]["overdue"] == "no" and rows[0]["due_at"] == "2026-11-20 11:00"
    assert rows[0]["subject"] == '退货 4, "急"'  # quoted, not split


def test_refreshes_wait_longer_after_a_slow_one() -> None:
    from cstui.monitor.data import next_delay

    assert next_delay(2.0, 0.01, 3.0) == 2.0  # a small store: every 2 s, never faster
    assert next_delay(2.0, 0.8, 3.0) == pytest.approx(2.4)  # a million tickets: a bit slower
    assert next_delay(30.0, 20.0, 10.0) == 200.0  # a huge replay: ten times its own time


def test_each_department_line_counts_its_waiting_and_overdue() -> None:
    from cstui.domain.supervision import DepartmentLine, department_lines

    items = [item(Department.QC, 1, 8), item(Department.WAREHOUSE, 2, 9)]
    items += [item(Department.WAREHOUSE, 3, 7), item(Department.WAREHOUSE, 4, 9)]
    assert department_lines(items, local(10)) == [
        DepartmentLine(Department.WAREHOUSE, 3, 1),  # #3 was due at 9:00
        DepartmentLine(Department.QC, 1, 1),
    ]
    assert department_lines(items, local(8)) == [
        DepartmentLine(Department.WAREHOUSE, 3, 0),
        DepartmentLine(Department.QC, 1, 0),
    ]
    assert department_lines([], local(8)) == []
