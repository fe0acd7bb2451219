"""`start_automations`: what `cstui` and `cstui monitor` hand their screen. On a local store
with `[automations] enabled = true` it sweeps in a thread of its own until stopped; off, or
through a server (`--api`), there is nothing to start. The console's first look, likewise,
is read from a local store only."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cstui.channels.locks import FileLock
from cstui.cli.automations import start_automations
from cstui.cli.console import first_look_for_screen
from cstui.cli.context import Env
from cstui.config import rules_from_settings
from cstui.domain.model import Department, EventKind, GoodsType, Role, Shift
from cstui.store import View, init_store
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool) -> None:
    config = tmp_path / "config.toml"
    on = "true" if enabled else "false"
    config.write_text(f"[automations]\nenabled = {on}\ninterval_seconds = 1\n", encoding="utf-8")
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(config))


def test_nothing_to_start_when_off_or_through_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, monkeypatch, enabled=False)
    assert start_automations(Env(options={"db": str(tmp_path / "a.db")})) is None
    _config(tmp_path, monkeypatch, enabled=True)
    remote = Env(options={"api": "http://127.0.0.1:9", "token": "t"})
    assert start_automations(remote) is None


def test_a_local_store_sweeps_until_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, monkeypatch, enabled=True)
    monkeypatch.delenv("CSTUI_NOW", raising=False)
    db = tmp_path / "floor.db"
    store = init_store(str(db), clock=FakeClock(now=datetime.now(UTC) - timedelta(hours=3)))
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    ticket = new_ticket(store, goods=GoodsType.FRESH, subject="生鲜变质")
    store.take(ticket, actor="alice")
    store.escalate(ticket, actor="alice", department=Department.QC, reason="质检", green=True)
    start = start_automations(Env(options={"db": str(db)}))
    assert start is not None
    stop = start()
    try:
        deadline = time.monotonic() + 30
        while not any(e.kind is EventKind.AUTOMATION for e in store.events(ticket_id=ticket)):
            assert time.monotonic() < deadline, "no sweep within 30 s"
            time.sleep(0.1)
    finally:
        stop()
        store.close()
    # Stopped: the lead is free again for the next process.
    lock = FileLock(Path(f"{db}.automations.lock"))
    assert lock.acquire()
    lock.release()


def test_a_local_store_gives_the_console_a_first_look_and_a_server_none(tmp_path: Path) -> None:
    db = tmp_path / "look.db"
    store = init_store(str(db))
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    ticket = new_ticket(store, goods=GoodsType.FRESH, subject="生鲜变质")
    store.close()
    local = Env(options={"db": str(db)})

    look = first_look_for_screen(local, "alice", rules_from_settings(local.settings))

    assert look is not None
    seen = look(View.UNASSIGNED, 100)  # the console's opening page, read in a thread
    assert seen is not None
    assert seen.agent.name == "alice"
    assert [t.id for t in seen.page.items] == [ticket]
    other = look(View.ALL_OPEN, 10)  # not the page read while the console loads
    assert other is not None and [t.id for t in other.page.items] == [ticket]
    remote = Env(options={"api": "http://127.0.0.1:9", "token": "t"})
    assert first_look_for_screen(remote, "alice", rules_from_settings(remote.settings)) is None
