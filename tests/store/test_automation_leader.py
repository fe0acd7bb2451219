"""The green channel's walk with `cstui serve` processes on one PostgreSQL database, the
clock (`CSTUI_NOW`) stepped forward from one server to the next, in a seeded world whose
other deadlines keep the sweeps busy:

- at 1 h 29 m a sweep fires nothing for the green ticket;
- a server at 1 h 30 m leads and warns the owner and the supervisors once; the owner reads
  the warning from the API (and `cstui notifications --api`);
- two servers at 2 h stand by; the leader is killed (SIGKILL) and one of them takes over
  within 30 s and opens exactly one supervisor escalation; that one is killed too, and the
  last takes over (its sweep is seen firing a department's answer) and fires nothing again.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cstui.__main__ import main
from cstui.domain.automations import AutomationPolicy
from cstui.domain.model import (
    Department,
    EscalationState,
    EventKind,
    GoodsType,
    MessageKind,
    Role,
    Shift,
)
from cstui.seed import DEFAULT_NOW, seed_store
from cstui.store import SqlStore, init_store
from tests.conftest import FakeClock, _reset_pg
from tests.processes import CstuiProcess, wait_for
from tests.store.test_contract import new_ticket

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

GREEN_AT = DEFAULT_NOW + timedelta(hours=1)  # the ticket goes green after the seed's "now"
TAKEOVER = 30  # seconds
GREEN = {"green_warning", "green_escalation"}
POLICY = AutomationPolicy(enabled=True, interval=timedelta(seconds=1))


class Server(CstuiProcess):
    """One `cstui serve` process whose clock is pinned at `GREEN_AT + after`."""

    def __init__(self, db: str, config: Path, after: timedelta) -> None:
        self.now = GREEN_AT + after
        env = {"CSTUI_CONFIG_FILE": str(config), "CSTUI_NOW": self.now.isoformat()}
        super().__init__(["serve", "--db", db, "--port", "0"], env)

    @property
    def url(self) -> str:
        line = wait_for(lambda: self._listening(), timeout=30, what="the server to listen")
        return str(line)

    def _listening(self) -> str | None:
        for line in list(self.lines):
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            if found:
                return found.group(0)
        return None

    def leads(self) -> bool:
        return self.said("this process sweeps")


def _green_ticket(store: SqlStore, clock: FakeClock) -> tuple[int, int]:
    """Alice's fresh-food ticket, answered at once, on the green channel from `GREEN_AT`."""
    clock.now = GREEN_AT
    ticket = new_ticket(store, goods=GoodsType.FRESH, subject="生鲜变质")
    store.take(ticket, actor="alice")
    store.add_message(ticket, actor="alice", kind=MessageKind.REPLY, text="马上处理")
    qc = store.escalate(ticket, actor="alice", department=Department.QC, reason="质检", green=True)
    return ticket, qc.id


def _rules(store: SqlStore, ticket: int) -> list[str]:
    return sorted(
        e.new["rule"]
        for e in store.events(ticket_id=ticket)
        if e.kind is EventKind.AUTOMATION and e.new is not None
    )


def _fired(store: SqlStore, ticket: int) -> list[str]:
    """The green channel's firings on the ticket (its QC escalation's own due time may
    fire `escalation_overdue` too: not what this walk is about)."""
    return [r for r in _rules(store, ticket) if r in GREEN]


def _supervisor_escalations(store: SqlStore, ticket: int) -> int:
    return sum(
        1
        for e in store.events(ticket_id=ticket)
        if e.kind is EventKind.ESCALATED
        and e.new is not None
        and e.new["department"] == Department.SUPERVISOR.value
    )


def _green_notes(url: str, token: str, ticket: int) -> list[dict[str, object]]:
    found = httpx.get(
        f"{url}/api/v1/notifications",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    found.raise_for_status()
    return [n for n in found.json()["items"] if n["ticket_id"] == ticket and n["rule"] in GREEN]


def _until(condition: Callable[[], Any], what: str) -> Any:
    """`wait_for` on a condition that reads the database: polled less often."""
    return wait_for(condition, timeout=TAKEOVER, what=what, every=0.2)


def _take_over(standbys: list[Server], killed: Server) -> tuple[Server, float]:
    killed.kill()
    killed_at = time.monotonic()
    leader = wait_for(
        lambda: next((s for s in standbys if s.leads()), None),
        timeout=TAKEOVER,
        what="a standby to take over",
    )
    return leader, time.monotonic() - killed_at


def test_the_green_walk_with_two_servers_and_kills(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _reset_pg(pg_url)
    clock = FakeClock(now=DEFAULT_NOW)
    store = init_store(pg_url, clock=clock)
    seed_store(store, tickets=100, seed=3)
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    alice = store.issue_token("alice")
    ticket, qc = _green_ticket(store, clock)
    config = tmp_path / "config.toml"
    config.write_text("[automations]\nenabled = true\ninterval_seconds = 1\n", encoding="utf-8")
    servers: list[Server] = []
    try:
        # 1 h 29 m (a sweep here, as a server would): nothing is due for the green ticket.
        store.sweep(POLICY, at=GREEN_AT + timedelta(hours=1, minutes=29))
        assert _fired(store, ticket) == []

        # 1 h 30 m: the leader warns, once; the owner reads it through the API.
        warner = Server(pg_url, config, timedelta(hours=1, minutes=30))
        servers.append(warner)
        wait_for(warner.leads, timeout=30, what="a leader")
        _until(lambda: _fired(store, ticket) == ["green_warning"], "a warning")
        [note] = _green_notes(warner.url, alice, ticket)
        assert note["rule"] == "green_warning" and note["urgency"] == "urgent"
        code = main(["--api", warner.url, "--token", alice, "notifications", "--unread", "--json"])
        listed = json.loads(capsys.readouterr().out)["items"]
        mine = [(i["kind"], i["read"]) for i in listed if i["ticket_id"] == ticket]
        assert code == 0 and ("green_warning", False) in mine

        # 2 h: two servers stand by; the leader is killed, one of them escalates, once.
        late = [Server(pg_url, config, timedelta(hours=2)) for _ in range(2)]
        servers += late
        for s in late:
            assert s.url and not s.leads()
        leader, took = _take_over(late, warner)
        assert took < TAKEOVER
        _until(lambda: _supervisor_escalations(store, ticket) == 1, "the supervisor escalation")
        assert _fired(store, ticket) == ["green_escalation", "green_warning"]

        # Kill that one too; QC answers meanwhile: the last server's sweep tells alice of
        # the answer, and the green channel fires nothing again.
        [last] = [s for s in late if s is not leader]
        leader.kill()
        killed_at = time.monotonic()
        clock.now = GREEN_AT + timedelta(hours=1, minutes=45)
        store.update_escalation(qc, actor="sue", state=EscalationState.ACKNOWLEDGED)
        _until(lambda: "department_answer" in _rules(store, ticket), "the last server's sweep")
        assert time.monotonic() - killed_at < TAKEOVER and last.leads()
        assert _supervisor_escalations(store, ticket) == 1
        assert _fired(store, ticket) == ["green_escalation", "green_warning"]
        assert sorted(str(n["rule"]) for n in _green_notes(last.url, alice, ticket)) == [
            "green_escalation",
            "green_warning",
        ]
    finally:
        for server in servers:
            server.stop()
        store.close()
