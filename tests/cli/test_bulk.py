"""Bulk actions from the CLI: each ticket in its own transaction, through the same rules as
one; refusals reported per ticket with the reason and owner; exit 3 when any was refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cstui.domain.model import Category, Channel, EventKind
from cstui.store import SqlStore, init_store
from cstui.store.base import NewCustomer, NewTicket
from tests.cli.test_cli import run
from tests.serving import TEAM


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    s = init_store(str(tmp_path / "cstui.db"))
    for name, role, shift in TEAM:
        s.add_agent(name, role, shift)
    return s


def new_tickets(store: SqlStore, n: int) -> list[int]:
    ids = []
    for i in range(n):
        customer = store.add_customer(NewCustomer(f"客户{i}", phone=f"1380000{i:04d}")).id
        new = NewTicket(customer, f"退款 {i}", "body", Channel.CHAT, Category.REFUND)
        ids.append(store.create_ticket(new).id)
    return ids


def db_of(store: SqlStore) -> Path:
    return Path(str(store.engine.url.database))


def test_bulk_take_takes_the_free_and_reports_the_owned(store: SqlStore) -> None:
    ids = new_tickets(store, 50)
    owned = ids[3::10]  # 5 of them, already bob's
    for tid in owned:
        store.take(tid, actor="bob")
    before = {tid: store.get_ticket(tid, with_messages=False) for tid in owned}
    events_before = len(list(store.events()))
    result = run(db_of(store), "tickets", "take", *map(str, ids), "--json", agent="alice")
    assert result.returncode == 3, result.stderr
    error = json.loads(result.stderr)["error"]  # with --json the error is JSON too
    assert (error["code"], error["message"]) == (3, "5 of 50 tickets refused")
    out = json.loads(result.stdout)
    assert out["summary"] == {"done": 45, "refused": 5}
    refused = {r["id"]: r for r in out["results"] if not r["ok"]}
    assert set(refused) == set(owned)
    assert all(
        r["owner"] == "bob" and "already owned by bob" in r["error"] for r in refused.values()
    )
    for tid in ids:
        ticket = store.get_ticket(tid, with_messages=False)
        if tid in owned:
            assert ticket == before[tid]  # nothing changed on a refused ticket
        else:
            assert (ticket.owner, ticket.dispatch_count) == ("alice", 1)
    new_events = list(store.events())[events_before:]
    assert [e.kind for e in new_events] == [EventKind.TAKEN] * 45


def test_bulk_status_and_note_report_each_refusal(store: SqlStore) -> None:
    *mine, theirs = new_tickets(store, 3)
    for tid in mine:
        store.take(tid, actor="alice")
    store.take(theirs, actor="bob")
    db = db_of(store)
    result = run(db, "tickets", "status", *map(str, [*mine, theirs]), "pending", agent="alice")
    assert result.returncode == 3
    assert f"#{theirs}: refused:" in result.stdout and "2 of 3 pending, 1 refused" in result.stdout
    assert [store.get_ticket(t).status.value for t in mine] == ["pending", "pending"]
    assert store.get_ticket(theirs).status.value == "open"
    noted = run(db, "tickets", "note", *map(str, mine), "--text", "已催仓库", agent="alice")
    assert noted.returncode == 0, noted.stderr
    assert all("已催仓库" in [m.body for m in store.messages(t)] for t in mine)


def test_a_single_id_keeps_the_single_ticket_output(store: SqlStore) -> None:
    tid = new_tickets(store, 1)[0]
    result = run(db_of(store), "tickets", "take", str(tid), "--json", agent="alice")
    assert result.returncode == 0 and json.loads(result.stdout)["owner"] == "alice"
