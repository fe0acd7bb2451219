"""`cstui notifications [--unread] | read ID … | read --all`: on a local store, and through
a real server with the same output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cstui.__main__ import main
from cstui.domain.automations import AutomationPolicy
from cstui.domain.model import Department, EscalationState, GoodsType, Role, Shift
from cstui.server.deps import ServerOptions
from cstui.store import init_store, open_store
from tests.conftest import FakeClock
from tests.server.conftest import Served, serve_store
from tests.store.test_contract import new_ticket

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CSTUI_DB", "CSTUI_AGENT", "CSTUI_API", "CSTUI_TOKEN", "CSTUI_NOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(tmp_path / "config.toml"))


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, int]:
    """A green ticket of alice's, 100 minutes old and swept: alice has two notifications
    (the green warning, urgent; the first response's breach), bob none."""
    path = str(tmp_path / "cstui.db")
    store = init_store(path, clock=FakeClock(now=NOW - timedelta(minutes=100)))
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    store.add_agent("bob", Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    ticket = new_ticket(store, goods=GoodsType.FRESH)
    store.take(ticket, actor="alice")
    store.escalate(ticket, actor="alice", department=Department.QC, reason="变质", green=True)
    store.close()
    store = open_store(path, clock=lambda: NOW)
    try:
        assert store.sweep(AutomationPolicy()).fired == 2
    finally:
        store.close()
    return path, ticket


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_feed_as_json_and_in_words(
    db: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, ticket = db
    code, out, _ = _run(capsys, "notifications", "--db", path, "--as", "alice", "--json")
    assert code == 0
    items = json.loads(out)["items"]
    assert sorted(i["kind"] for i in items) == ["first_response_breach", "green_warning"]
    assert {i["ticket_id"] for i in items} == {ticket}
    assert all(i["read"] is False and datetime.fromisoformat(i["at"]) == NOW for i in items)
    assert {"id", "kind", "ticket_id", "at", "read"} <= set(items[0])
    code, out, _ = _run(capsys, "notifications", "--db", path, "--as", "alice")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3 and lines[-1] == "2 unread of 2 shown"
    assert any(f"#{ticket}" in line and " ! " in line for line in lines[:2])  # urgent marked
    assert all(line.startswith("* ") for line in lines[:2])  # unread marked
    code, out, _ = _run(capsys, "notifications", "--db", path, "--as", "bob")
    assert code == 0 and out.strip() == "no notifications"


def test_read_by_id_then_all(db: tuple[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = db
    alice = ("--db", path, "--as", "alice")
    items = json.loads(_run(capsys, "notifications", *alice, "--json")[1])["items"]
    first = str(items[0]["id"])
    assert _run(capsys, "notifications", "read", first, *alice, "--json")[1].strip() == (
        '{"marked": 1}'
    )
    assert _run(capsys, "notifications", "read", first, *alice)[1].strip() == "0 marked read"
    unread = json.loads(_run(capsys, "notifications", "--unread", *alice, "--json")[1])["items"]
    assert [i["id"] for i in unread] == [items[1]["id"]]
    assert _run(capsys, "notifications", "read", "--all", *alice)[1].strip() == "1 marked read"
    assert json.loads(_run(capsys, "notifications", "--unread", *alice, "--json")[1]) == {
        "items": []
    }
    everything = json.loads(_run(capsys, "notifications", *alice, "--json")[1])["items"]
    assert len(everything) == 2 and all(i["read"] for i in everything)


def test_bad_input_is_one_line_and_exit_2(
    db: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = db
    for args in (("read",), ("read", "1", "--all"), ("--limit", "0"), ("read", "x")):
        code, _, err = _run(capsys, "notifications", *args, "--db", path, "--as", "alice")
        assert code == 2 and err.count("\n") == 1, (args, err)
    code, _, err = _run(capsys, "notifications", "--db", path)
    assert code == 2 and "--as" in err


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve_store(
        tmp_path_factory.mktemp("notes") / "notes.db", ServerOptions(rate_per_second=0)
    )


def test_through_a_server_the_token_decides_whose_feed(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = served.new_ticket()
    served.store.take(ticket, actor="alice")
    esc = served.store.escalate(
        ticket, actor="alice", department=Department.WAREHOUSE, reason="查库存"
    )
    served.store.update_escalation(esc.id, actor="sue", state=EscalationState.DONE)
    served.store.sweep(AutomationPolicy())

    def remote(who: str, *args: str) -> tuple[int, str, str]:
        return _run(capsys, "--api", served.url, "--token", served.tokens[who], *args)

    code, out, _ = remote("alice", "notifications", "--unread", "--json")
    assert code == 0
    mine = [i for i in json.loads(out)["items"] if i["ticket_id"] == ticket]
    assert [i["kind"] for i in mine] == ["department_answer"] and not mine[0]["read"]
    code, out, _ = remote("bob", "--as", "alice", "notifications", "--json")
    assert code == 0 and all(i["ticket_id"] != ticket for i in json.loads(out)["items"])
    assert remote("bob", "notifications", "read", str(mine[0]["id"]))[1].strip() == (
        "0 marked read"
    )
    code, out, _ = remote("alice", "notifications")
    assert code == 0 and f"#{ticket}" in out
    assert remote("alice", "notifications", "read", "--all", "--json")[0] == 0
    code, out, _ = remote("alice", "notifications", "--unread", "--json")
    assert code == 0 and json.loads(out) == {"items": []}
