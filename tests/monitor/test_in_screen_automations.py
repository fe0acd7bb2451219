"""Automations inside open screens on a local store: two monitors on one SQLite file with a
green ticket past its 2 hours → exactly one supervisor escalation and exactly one of them
leads; the leader quits and the other takes over and fires what comes due next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cstui.automations.background import InScreen
from cstui.domain.automations import AutomationPolicy
from cstui.domain.model import Department, EventKind, GoodsType, Role, Shift
from cstui.domain.rules import Rules
from cstui.monitor.app import MonitorApp, MonitorConfig, build_monitor
from cstui.store import SqlStore, init_store, open_store
from tests.conftest import FakeClock
from tests.pilots import until
from tests.store.test_contract import new_ticket

START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
POLICY = AutomationPolicy(enabled=True, interval=timedelta(seconds=0.2))


def _green(store: SqlStore) -> int:
    ticket = new_ticket(store, goods=GoodsType.FRESH, subject="生鲜变质")
    store.take(ticket, actor="alice")
    store.escalate(ticket, actor="alice", department=Department.QC, reason="质检", green=True)
    return ticket


def _supervisor_escalations(store: SqlStore, ticket: int) -> int:
    return sum(
        1
        for e in store.events(ticket_id=ticket)
        if e.kind is EventKind.ESCALATED
        and e.new is not None
        and e.new["department"] == Department.SUPERVISOR.value
    )


def _monitor(db: Path, clock: FakeClock, sweepers: list[InScreen]) -> MonitorApp:
    def opened() -> SqlStore:
        return open_store(str(db), rules=Rules(), clock=clock)

    def start() -> Callable[[], None]:
        sweeper = InScreen(opened, POLICY, standby_seconds=0.2).start()
        sweepers.append(sweeper)
        return sweeper.stop

    config = MonitorConfig(actor="sue", background=start)
    return build_monitor(opened, config, clock=clock)


async def test_two_monitors_on_one_file_fire_once_and_hand_over(tmp_path: Path) -> None:
    db = tmp_path / "floor.db"
    clock = FakeClock(now=START)
    store = init_store(str(db), rules=Rules(), clock=clock)
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    first = _green(store)
    clock.advance(hours=2, minutes=1)  # the green ticket is past its 2 hours
    sweepers: list[InScreen] = []
    apps = [_monitor(db, clock, sweepers), _monitor(db, clock, sweepers)]
    runs = [app.run_test(size=(100, 30)) for app in apps]
    pilots = [await run.__aenter__() for run in runs]
    open_runs = list(runs)
    try:
        await until(pilots[1], lambda: len(sweepers) == 2 and _supervisor_escalations(store, first))
        await until(pilots[1], lambda: sum(s.leading for s in sweepers) == 1)
        await pilots[1].pause(1.0)  # several intervals: nothing fires again, the standby waits
        assert _supervisor_escalations(store, first) == 1
        assert sum(s.leading for s in sweepers) == 1
        # Quit the leader's screen (not necessarily the last opened: exit it out of order).
        leader = next(i for i, app in enumerate(apps) if _leads(app, sweepers))
        other = 1 - leader
        await runs[leader].__aexit__(None, None, None)
        open_runs.remove(runs[leader])
        await until(pilots[other], lambda: _leads(apps[other], sweepers))
        second = _green(store)
        clock.advance(hours=2, minutes=1)
        await until(pilots[other], lambda: _supervisor_escalations(store, second) == 1)
        assert _supervisor_escalations(store, first) == 1
    finally:
        for run in open_runs:
            await run.__aexit__(None, None, None)
        store.close()


def _leads(app: MonitorApp, sweepers: list[InScreen]) -> bool:
    """Whether the sweeper this screen started is the one leading."""
    return any(s.leading and app.stop_background == s.stop for s in sweepers)
