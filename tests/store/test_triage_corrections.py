"""An agent's category correction is a command and an event; triage's accuracy is read
from the log."""

from __future__ import annotations

from cstui.assist.accuracy import triage_accuracy
from cstui.domain import commands as C
from cstui.domain.model import Category, Channel, EventKind
from cstui.store import SqlStore
from cstui.store.base import NewCustomer, NewTicket


def test_a_correction_is_logged_and_measured(store: SqlStore) -> None:
    who = store.add_customer(NewCustomer("王芳", phone="13800001234"))
    right = store.create_ticket(
        NewTicket(who.id, "发票", "怎么开电子发票", Channel.CHAT, Category.PRODUCT)
    )
    wrong = store.create_ticket(
        NewTicket(who.id, "快递", "我的快递到哪了", Channel.CHAT, Category.PRODUCT)
    )
    store.take(right.id, actor="alice")
    store.take(wrong.id, actor="alice")
    fixed = store.execute(
        C.SetCategory(ticket_id=right.id, actor="alice", category=Category.INVOICE)
    )
    assert fixed.category is Category.INVOICE
    store.execute(C.SetCategory(ticket_id=wrong.id, actor="alice", category=Category.ADDRESS))
    # The same category again changes nothing and logs nothing.
    again = store.execute(
        C.SetCategory(ticket_id=wrong.id, actor="alice", category=Category.ADDRESS)
    )
    assert again.version == store.get_ticket(wrong.id).version
    logged = [e for e in store.events() if e.kind is EventKind.CATEGORY]
    assert [(e.ticket_id, e.old, e.new) for e in logged] == [
        (right.id, {"category": "product"}, {"category": "invoice"}),
        (wrong.id, {"category": "product"}, {"category": "address"}),
    ]
    measured = triage_accuracy(store.events())
    assert (measured.triaged, measured.agreed) == (2, 1)
    assert (measured.corrected, measured.corrected_to_triage) == (2, 1)
    assert measured.to_json()["accuracy_on_corrected"] == 0.5
