"""`cstui automations list | dry-run | run --once` on a local store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cstui.__main__ import main
from cstui.domain.model import Department, EventKind, GoodsType, Role, Shift
from cstui.store import init_store, open_store
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    for name in ("CSTUI_DB", "CSTUI_AGENT", "CSTUI_API", "CSTUI_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CSTUI_NOW", NOW.isoformat())
    path = str(tmp_path / "cstui.db")
    store = init_store(path, clock=FakeClock(now=NOW - timedelta(minutes=100)))
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    ticket = new_ticket(store, goods=GoodsType.FRESH)
    store.take(ticket, actor="alice")
    store.escalate(ticket, actor="alice", department=Department.QC, reason="变质", green=True)
    store.close()
    return path, ticket


def _automation_events(path: str) -> list[str]:
    store = open_store(path)
    try:
        return [e.new["rule"] for e in store.events() if e.kind is EventKind.AUTOMATION and e.new]
    finally:
        store.close()


def test_list_shows_every_rule_and_what_is_off(
    db: tuple[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text('[automations]\noff = ["low_csat"]\n', encoding="utf-8")
    assert main(["automations", "list", "--db", db[0]]) == 0
    out = capsys.readouterr().out
    assert "on   green_escalation       120 min on the green channel" in out
    assert "off  low_csat" in out


def test_dry_run_shows_what_would_fire_and_writes_nothing(
    db: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, ticket = db
    at = (NOW + timedelta(minutes=20)).isoformat()
    assert main(["automations", "dry-run", "--db", path, "--at", at]) == 0
    out, err = capsys.readouterr()
    assert f"#{ticket}\tgreen_warning" in out and f"#{ticket}\tgreen_escalation" in out
    assert "would fire" in err
    assert _automation_events(path) == []
    assert main(["automations", "dry-run", "--db", path, "--at", "tomorrow"]) == 2


def test_run_once_fires_once(db: tuple[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = db
    assert main(["automations", "run", "--once", "--db", path]) == 0
    # 100 minutes green and unanswered: the green warning and the first response's breach
    assert "2 fired (2 found due)" in capsys.readouterr().out
    assert main(["automations", "run", "--once", "--db", path]) == 0
    assert "0 fired" in capsys.readouterr().out
    assert sorted(_automation_events(path)) == ["first_response_breach", "green_warning"]
