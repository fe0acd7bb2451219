"""Two `cstui serve` processes on one PostgreSQL database with automations on: one sweeps;
kill it with SIGKILL and the other takes over within 30 s; a green ticket past its 2 hours
gets exactly one supervisor escalation throughout."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cstui.domain.model import Department, EventKind, GoodsType, Role, Shift
from cstui.store import SqlStore, init_store
from tests.conftest import FakeClock, _reset_pg
from tests.processes import CstuiProcess, wait_for
from tests.store.test_contract import new_ticket

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def Server(db: str, config: Path) -> CstuiProcess:
    """One `cstui serve` process at the test's clock."""
    env = {"CSTUI_CONFIG_FILE": str(config), "CSTUI_NOW": NOW.isoformat()}
    return CstuiProcess(["serve", "--db", db, "--port", "0"], env)


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


def test_one_server_sweeps_and_a_standby_takes_over_after_a_kill(
    pg_url: str, tmp_path: Path
) -> None:
    _reset_pg(pg_url)
    clock = FakeClock(now=NOW - timedelta(hours=3))  # the tickets went green 3 hours ago
    store = init_store(pg_url, clock=clock)
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    config = tmp_path / "config.toml"
    config.write_text("[automations]\nenabled = true\ninterval_seconds = 1\n", encoding="utf-8")
    first_ticket = _green(store)
    servers = [Server(pg_url, config)]
    try:
        wait_for(lambda: servers[0].said("this process sweeps"), timeout=30, what="a leader")
        wait_for(lambda: _supervisor_escalations(store, first_ticket) == 1, timeout=30,
                 what="the first escalation")  # fmt: skip
        servers.append(Server(pg_url, config))
        wait_for(lambda: servers[1].said("listening on"), timeout=30, what="the standby")
        time.sleep(2)  # the standby has tried the lock at least once by now
        assert not servers[1].said("this process sweeps")
        servers[0].kill()
        killed_at = time.monotonic()
        # Green 2 h 1 min before the servers' (pinned) now: due after the leader's last sweep
        # had read up to, so only a sweep after the kill can find it.
        clock.now = NOW - timedelta(hours=2, minutes=1)
        second_ticket = _green(store)
        wait_for(lambda: _supervisor_escalations(store, second_ticket) == 1, timeout=30,
                 what="the standby's escalation")  # fmt: skip
        assert time.monotonic() - killed_at < 30
        assert servers[1].said("this process sweeps")
        time.sleep(2)  # a few more sweeps: nothing fires twice
        for ticket in (first_ticket, second_ticket):
            assert _supervisor_escalations(store, ticket) == 1
            rules = [
                e.new["rule"]
                for e in store.events(ticket_id=ticket)
                if e.kind is EventKind.AUTOMATION and e.new is not None
            ]
            assert rules.count("green_escalation") == 1 and rules.count("green_warning") <= 1
    finally:
        for server in servers:
            server.stop()
        store.close()
