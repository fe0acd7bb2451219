"""The ticket pane's triage line: what the latest words were triaged as, and why."""

from __future__ import annotations

from cstui.console.ticket import head
from cstui.domain.model import Category, Channel
from cstui.store import SqlStore
from cstui.store.base import NewCustomer, NewTicket


def test_the_head_shows_the_latest_triage_with_its_reason(store: SqlStore) -> None:
    who = store.add_customer(NewCustomer("王芳", phone="13800001234"))
    made = store.create_ticket(
        NewTicket(who.id, "快递", "我的快递到哪了", Channel.CHAT, Category.PRODUCT)
    )
    shown = head(store.get_ticket(made.id), None).plain
    (line,) = [x for x in shown.splitlines() if x.startswith("Triage: ")]
    assert "logistics" in line.lower() and "risk low" in line and "category: words:" in line
    store.customer_message(made.id, text="车厘子到了全烂了！！！再不处理我就打12315")
    shown = head(store.get_ticket(made.id), None).plain
    (line,) = [x for x in shown.splitlines() if x.startswith("Triage: ")]
    assert "risk high" in line and "green channel" in line


def test_a_ticket_logged_before_triage_has_no_line(store: SqlStore) -> None:
    assert "Triage: " not in head(store.get_ticket(1), None).plain
