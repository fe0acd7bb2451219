"""`cstui metrics --since`: a ticket opened before the window and resolved in it counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cstui.__main__ import main
from cstui.domain.model import Category, Channel, ResolutionCode, Role
from cstui.store import init_store
from cstui.store.base import NewCustomer, NewTicket
from tests.conftest import FakeClock


def test_a_resolution_in_the_window_counts_whatever_the_ticket_s_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()
    path = tmp_path / "cstui.db"
    store = init_store(str(path), clock=clock)
    store.add_agent("alice", Role.AGENT)
    customer = store.add_customer(NewCustomer("张三", phone="13800001234"))
    opened = clock.now
    ticket = store.create_ticket(
        NewTicket(customer.id, "破损", "body", Channel.CHAT, Category.REFUND)
    )
    store.take(ticket.id, actor="alice")
    clock.advance(days=2)
    store.resolve(ticket.id, actor="alice", code=ResolutionCode.SOLVED)
    store.close()
    since = (opened.replace(hour=0, minute=0) + (clock.now - opened) / 2).isoformat()
    assert main(["--db", str(path), "metrics", "--since", since, "--json"]) == 0
    team = json.loads(capsys.readouterr().out)["team"]
    assert team["tickets_created"] == 0  # created before the window
    assert team["tickets_resolved"] == 1
    assert team["avg_resolution_time"] == pytest.approx(2 * 86400, rel=0.01)
