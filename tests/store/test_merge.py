"""Merge and link on every backend (SQLite, PostgreSQL, HTTP)."""

from __future__ import annotations

import pytest

from cstui.domain.model import (
    Category,
    Channel,
    EventKind,
    MessageKind,
    ResolutionCode,
    Status,
)
from cstui.errors import BadInput, Conflict, PermissionDenied
from cstui.store import SqlStore
from cstui.store.base import NewCustomer, NewTicket
from tests.store import test_contract

store, http_server = test_contract.store, test_contract.http_server


def ticket(s: SqlStore, customer: int, subject: str, channel: Channel, body: str) -> int:
    return s.create_ticket(NewTicket(customer, subject, body, channel, Category.LOGISTICS)).id


def two_contacts(s: SqlStore) -> tuple[int, int]:
    """One customer, one parcel: on chat (taken by alice first), then by email."""
    customer = s.add_customer(NewCustomer("陈静", phone="13911112222")).id
    chat = ticket(s, customer, "包裹三天没动", Channel.CHAT, "快递单号SF123一直没更新")
    s.take(chat, actor="alice")
    s.add_message(chat, actor="alice", kind=MessageKind.REPLY, text="已联系顺丰核实")
    email = ticket(s, customer, "Parcel stuck", Channel.EMAIL, "Still no movement on SF123")
    return chat, email


def test_a_merge_keeps_the_first_owner_both_threads_and_every_event(store: SqlStore) -> None:
    chat, email = two_contacts(store)
    events_before = {t: [e.id for e in store.events(ticket_id=t)] for t in (chat, email)}
    survivor = store.merge_tickets(email, into=chat, actor="alice")
    assert survivor.id == chat and survivor.owner == "alice"
    bodies = [m.body for m in survivor.messages]
    assert bodies == [
        "快递单号SF123一直没更新",
        "已联系顺丰核实",
        "Still no movement on SF123",
    ]
    merged = store.get_ticket(email)
    assert merged.merged_into == chat and merged.status is Status.CLOSED
    assert merged.resolution_code is ResolutionCode.DUPLICATE and not merged.messages
    assert email in survivor.links and chat in merged.links
    for t, ids in events_before.items():
        after = list(store.events(ticket_id=t))
        assert [e.id for e in after][: len(ids)] == ids  # nothing dropped, nothing moved
        assert after[-1].kind is EventKind.MERGED
    # the moved thread is found on the survivor, and only there
    found = [h.ticket.id for h in store.search_tickets("movement", actor=None).items]
    assert found == [chat]


def test_an_unowned_survivor_takes_the_duplicates_owner(store: SqlStore) -> None:
    customer = store.add_customer(NewCustomer("陈静", phone="13911112222")).id
    chat = ticket(store, customer, "包裹三天没动", Channel.CHAT, "没动")
    email = ticket(store, customer, "Parcel stuck", Channel.EMAIL, "stuck")
    store.take(chat, actor="alice")
    survivor = store.merge_tickets(chat, into=email, actor="alice")
    assert survivor.owner == "alice" and survivor.status is Status.OPEN
    routed = list(store.events(ticket_id=email))[-2]
    assert routed.kind is EventKind.ROUTED and (routed.new or {})["owner"] == "alice"


def test_merges_across_customers_and_loops_are_refused(store: SqlStore) -> None:
    chat, email = two_contacts(store)
    stranger = store.add_customer(NewCustomer("路人", phone="13000000000")).id
    other = ticket(store, stranger, "别的事", Channel.CHAT, "你好")
    with pytest.raises(Conflict, match="different customers"):
        store.merge_tickets(other, into=chat, actor="alice")
    with pytest.raises(BadInput, match="itself"):
        store.merge_tickets(chat, into=chat, actor="alice")
    store.merge_tickets(email, into=chat, actor="alice")
    with pytest.raises(Conflict, match="merged into"):
        store.merge_tickets(email, into=chat, actor="alice")
    assert store.get_ticket(other).merged_into is None  # nothing half-written


def test_a_merge_needs_an_owner_of_either_or_a_supervisor(store: SqlStore) -> None:
    chat, email = two_contacts(store)
    with pytest.raises(Conflict, match="owned by alice"):
        store.merge_tickets(email, into=chat, actor="carol")
    assert store.merge_tickets(email, into=chat, actor="sue").owner == "alice"


def test_links_go_both_ways_once(store: SqlStore) -> None:
    chat, email = two_contacts(store)
    assert store.link_tickets(chat, email, actor="alice").links == (email,)
    assert store.link_tickets(email, chat, actor="sue").links == (chat,)
    linked = [e for e in store.events(ticket_id=chat) if e.kind is EventKind.LINKED]
    assert len(linked) == 1
    with pytest.raises(BadInput):
        store.link_tickets(chat, chat, actor="alice")


def test_a_link_is_made_by_the_tickets_owner_or_a_supervisor(store: SqlStore) -> None:
    chat, email = two_contacts(store)  # both alice's: the customer came back to her
    stranger = store.add_customer(NewCustomer("林", phone="13900000000")).id
    unowned = ticket(store, stranger, "发票", Channel.EMAIL, "开发票")
    with pytest.raises(PermissionDenied, match=r"owner \(alice\)"):
        store.link_tickets(chat, email, actor="bob")
    with pytest.raises(Conflict, match="take it first"):
        store.link_tickets(unowned, chat, actor="bob")
    assert store.get_ticket(chat).links == () and store.get_ticket(unowned).links == ()
