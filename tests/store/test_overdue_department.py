"""A department's escalation past its due time: the owner is told once (`escalation_overdue`)
and the department's line on the monitor's sync sheet counts it as overdue."""

from __future__ import annotations

from datetime import timedelta

from cstui.domain.automations import AutomationPolicy, Rule
from cstui.domain.model import Department
from cstui.i18n import set_language
from cstui.monitor.data import gather_floor
from cstui.monitor.rows import department_counts
from cstui.store import SqlStore
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket

OVERDUE = AutomationPolicy(rules=frozenset({Rule.ESCALATION_OVERDUE}))


def test_an_overdue_department_reaches_the_owner_and_its_sync_line(
    store: SqlStore, clock: FakeClock
) -> None:
    set_language("en")
    ticket = new_ticket(store)
    store.take(ticket, actor="alice")
    esc = store.escalate(ticket, actor="alice", department=Department.WAREHOUSE, reason="查库存")
    other = new_ticket(store, subject="换货")
    store.take(other, actor="bob")
    store.escalate(other, actor="bob", department=Department.QC, reason="质检")
    clock.now = esc.due_at - timedelta(seconds=1)
    assert store.sweep(OVERDUE).fired == 0
    before = department_counts(gather_floor(store, clock.now))
    assert before.startswith("warehouse 1 · quality inspection 1") and "overdue" not in before

    clock.now = esc.due_at
    assert store.sweep(OVERDUE).fired >= 1
    assert store.sweep(OVERDUE).fired == 0
    [note] = [n for n in store.notifications(actor="alice") if n.ticket_id == ticket]
    assert note.rule == "escalation_overdue" and note.params["department"] == "warehouse"
    assert [n.ticket_id for n in store.notifications(actor="bob")].count(ticket) == 0
    line = department_counts(gather_floor(store, clock.now))
    assert line.startswith("warehouse 1 (1 overdue) · quality inspection 1")
