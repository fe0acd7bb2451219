"""The monitor's reads and the routing pause, on every backend (conftest `store`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cstui.domain.model import (
    Channel,
    Department,
    EscalationState,
    EventKind,
    GoodsType,
)
from cstui.errors import PermissionDenied
from cstui.store import SqlStore, View
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket


def test_queue_depth_counts_open_work_by_view_channel_and_tier(
    store: SqlStore, clock: FakeClock
) -> None:
    chat = [new_ticket(store, channel=Channel.CHAT) for _ in range(3)]
    phone = new_ticket(store, channel=Channel.PHONE)
    store.take(chat[0], actor="alice")
    store.escalate(chat[0], actor="alice", department=Department.WAREHOUSE, reason="未入库")
    depth = store.queue_depth()
    assert depth.channels == {"chat": 3, "phone": 1}
    assert sum(depth.tiers.values()) == 4
    assert depth.views["all-open"] == 4
    assert depth.views["unassigned"] == 3
    assert depth.views["escalated"] == 1
    assert depth.breached == 0
    clock.advance(days=3)  # every first response is long overdue now
    assert store.queue_depth().breached == 4
    store.take(phone, actor="bob")
    assert store.queue_depth().views["unassigned"] == 2


def test_green_board_counts_two_hours_from_the_supervisors_call(
    store: SqlStore, clock: FakeClock
) -> None:
    plain = new_ticket(store)
    store.set_green_channel(plain, actor="sue", reason="客户投诉升级")
    called_at = clock.now
    clock.advance(minutes=30)
    fresh = new_ticket(store, goods=GoodsType.FRESH, subject="生鲜变质")
    store.take(fresh, actor="alice")
    store.escalate(fresh, actor="alice", department=Department.QC, reason="质检", green=True)
    board = {g.ticket_id: g for g in store.green_board()}
    assert set(board) == {plain, fresh}
    assert board[plain].since == called_at
    assert board[plain].due_at == called_at + timedelta(hours=2)
    assert board[fresh].due_at == clock.now + timedelta(hours=2)
    assert board[fresh].owner == "alice" and board[plain].owner is None
    assert [g.ticket_id for g in store.green_board()] == [plain, fresh]  # soonest due first


def test_a_green_tickets_own_deadline_is_the_green_boards(
    store: SqlStore, clock: FakeClock
) -> None:
    """The green channel's 2 hours ride on the ticket itself (`due.green`), the same instant
    the monitor's Green tab counts down, in the ticket, in lists and null off the channel."""
    plain = new_ticket(store)
    other = new_ticket(store)
    store.set_green_channel(plain, actor="sue", reason="客户投诉升级")
    clock.advance(minutes=30)
    fresh = new_ticket(store, goods=GoodsType.FRESH, subject="生鲜变质")
    store.take(fresh, actor="alice")
    store.escalate(fresh, actor="alice", department=Department.QC, reason="质检", green=True)
    board = {g.ticket_id: g.due_at for g in store.green_board()}
    for tid in (plain, fresh):
        assert store.get_ticket(tid).due.green == board[tid]
    page = store.list_tickets(view=View.GREEN, actor="sue", limit=10)
    assert {t.id: t.due.green for t in page.items} == board
    assert store.get_ticket(other).due.green is None


def test_waiting_escalations_leave_the_list_when_answered(
    store: SqlStore, clock: FakeClock
) -> None:
    tid = new_ticket(store)
    store.take(tid, actor="alice")
    first = store.escalate(tid, actor="alice", department=Department.WAREHOUSE, reason="未入库")
    clock.advance(minutes=10)
    second = store.escalate(tid, actor="alice", department=Department.FINANCE, reason="退款")
    waiting = store.waiting_escalations()
    assert [(w.id, w.department, w.owner) for w in waiting] == [
        (first.id, Department.WAREHOUSE, "alice"),
        (second.id, Department.FINANCE, "alice"),
    ]
    store.update_escalation(first.id, actor="sue", state=EscalationState.ACKNOWLEDGED)
    assert store.waiting_escalations()[0].state is EscalationState.ACKNOWLEDGED
    store.update_escalation(first.id, actor="sue", state=EscalationState.DONE)
    assert [w.id for w in store.waiting_escalations()] == [second.id]


def test_agent_loads_count_open_tickets_and_heartbeats(store: SqlStore) -> None:
    a, b, c = (new_ticket(store) for _ in range(3))
    store.take(a, actor="alice")
    store.take(b, actor="alice")
    store.take(c, actor="bob")
    store.set_presence(actor="bob", ticket_id=c)
    loads = {x.name: x for x in store.agent_loads()}
    assert {n: x.open_tickets for n, x in loads.items()} == {
        "alice": 2,
        "bob": 1,
        "carol": 0,
        "sue": 0,
    }
    assert loads["bob"].viewing == c and loads["bob"].seen_at is not None
    assert loads["alice"].seen_at is None


def test_a_paused_agent_gets_no_returning_customer(store: SqlStore, clock: FakeClock) -> None:
    first = new_ticket(store)
    store.take(first, actor="carol")
    customer = store.get_ticket(first).customer.id
    with pytest.raises(PermissionDenied):
        store.set_routing_paused("carol", actor="alice", paused=True)
    assert store.set_routing_paused("carol", actor="sue", paused=True).routing_paused
    clock.advance(days=1)
    again = store.get_ticket(new_ticket(store, customer_id=customer, subject="又来问"))
    assert again.owner is None
    (event,) = [e for e in store.events() if e.kind is EventKind.ROUTING_PAUSED]
    assert event.actor == "sue" and event.new == {"agent": "carol", "paused": True}
    store.set_routing_paused("carol", actor="sue", paused=False)
    back = store.get_ticket(new_ticket(store, customer_id=customer, subject="第三次"))
    assert back.owner == "carol"


def test_sla_risk_count_holds_the_tickets_due_later_today(
    store: SqlStore, clock: FakeClock
) -> None:
    """The count binds its deadline like the page query does (ISO text on SQLite)."""
    for _ in range(3):
        new_ticket(store)
    clock.advance(minutes=15)  # first responses (20 min) are due within the 30-min window
    listed = store.list_tickets(View.SLA_RISK, actor=None, limit=50).items
    assert len(listed) == 3
    assert store.count_tickets(View.SLA_RISK, actor=None) == 3
    assert store.queue_depth().views["sla-risk"] == 3
