"""投诉预警 as an event: a customer's third contact in 7 days raises `complaint_warning` on
the new ticket (once for the 7 days), and the automation tells the supervisors once."""

from __future__ import annotations

from cstui.domain import events
from cstui.domain.automations import AutomationPolicy, Rule
from cstui.domain.model import EventKind, GoodsType
from cstui.store import SqlStore
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket

WARNINGS = AutomationPolicy(rules=frozenset({Rule.COMPLAINT_WARNING}))


def _warnings(store: SqlStore, ticket_id: int) -> list[tuple[str, ...]]:
    return [
        events.payload_as(events.ComplaintWarning, e).reasons
        for e in store.events(ticket_id=ticket_id)
        if e.kind is EventKind.COMPLAINT_WARNING
    ]


def test_a_third_contact_in_a_week_warns_the_supervisors_once(
    store: SqlStore, clock: FakeClock
) -> None:
    first = new_ticket(store, goods=GoodsType.GENERAL)
    customer = store.get_ticket(first).customer.id
    clock.advance(minutes=5)  # within the first response's 20 minutes: no broken promise yet
    second = new_ticket(store, customer_id=customer)
    assert _warnings(store, first) == [] and _warnings(store, second) == []
    clock.advance(minutes=5)
    third = new_ticket(store, customer_id=customer)
    [reasons] = _warnings(store, third)
    assert reasons == ("3 contacts in 7 days",)
    clock.advance(minutes=5)
    fourth = new_ticket(store, customer_id=customer)
    assert _warnings(store, fourth) == []  # the supervisors know already this week

    assert store.sweep(WARNINGS).fired == 1
    assert store.sweep(WARNINGS).fired == 0
    [note] = store.notifications(actor="sue", unread_only=True)
    assert note.rule == "complaint_warning" and note.ticket_id == third
    assert "3 contacts in 7 days" in note.params["reasons"]
    assert store.notifications(actor="alice") == []

    clock.advance(days=8)  # in touch again, their four tickets unanswered: warned anew
    fifth = new_ticket(store, customer_id=customer)
    [reasons] = _warnings(store, fifth)
    assert reasons == ("4 overdue promises",)
    assert store.sweep(WARNINGS).fired == 1
    assert [n.ticket_id for n in store.notifications(actor="sue")] == [fifth, third]


def test_a_broken_promise_warns_on_the_next_contact(store: SqlStore, clock: FakeClock) -> None:
    first = new_ticket(store)
    customer = store.get_ticket(first).customer.id
    clock.advance(days=2)  # the first ticket's first response is long breached
    second = new_ticket(store, customer_id=customer)
    [reasons] = _warnings(store, second)
    assert reasons == ("1 overdue promise",)


def test_a_quiet_customer_raises_nothing(store: SqlStore, clock: FakeClock) -> None:
    ticket = new_ticket(store)
    assert _warnings(store, ticket) == []
    assert store.sweep(WARNINGS).fired == 0
