"""Ticket search on every backend (SQLite, PostgreSQL, HTTP): identifiers, Chinese and
English words in subjects and threads, filters, OR, tiers and keyset pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cstui.domain.model import Category, Channel, MatchField, MessageKind, Status
from cstui.errors import BadInput, NotFound
from cstui.store import SqlStore
from cstui.store.base import NewCustomer, NewOrder, NewTicket
from tests.conftest import FakeClock
from tests.store import test_contract

# the contract suite's fixtures: an empty store with the team, on each backend
store, http_server = test_contract.store, test_contract.http_server


def ticket(
    s: SqlStore,
    subject: str,
    *,
    name: str = "张三",
    phone: str = "13800001234",
    order: str | None = None,
    tracking: str | None = None,
    body: str = "你好",
    category: Category = Category.REFUND,
) -> int:
    customer = s.add_customer(NewCustomer(name, phone=phone)).id
    if order:
        s.add_order(NewOrder(order, customer, 99.0, tracking_no=tracking))
    new = NewTicket(customer, subject, body, Channel.CHAT, category, order_number=order)
    return s.create_ticket(new).id


def ids(s: SqlStore, query: str, actor: str | None = None) -> list[int]:
    return [h.ticket.id for h in s.search_tickets(query, actor=actor, limit=500).items]


def test_a_ticket_is_found_by_each_identifier_a_customer_reads_out(store: SqlStore) -> None:
    tid = ticket(
        store,
        "包裹没收到",
        name="李小龙",
        phone="139-0000-5678",
        order="SO20261101000042",
        tracking="SF1234567890123",
    )
    other = ticket(store, "发票", name="王五", phone="13700009999")
    for query, field in [
        ("SO20261101000042", MatchField.ORDER),
        ("SF1234567890123", MatchField.TRACKING),
        ("13900005678", MatchField.PHONE),
        ("5678", MatchField.PHONE),
        (f"#{tid}", MatchField.ID),
        ("李小龙", MatchField.CUSTOMER),
    ]:
        hits = store.search_tickets(query, actor=None).items
        assert [h.ticket.id for h in hits] == [tid], query
        match = hits[0].match
        assert match is not None and match.field is field, query
        assert match.highlights, query
    phone = store.search_tickets("5678", actor=None).items[0].match
    assert phone is not None and phone.text == "···5678"  # the number stays masked
    assert ids(store, "9999") == [other]


def test_chinese_two_character_words_and_english_words_are_found_in_threads(
    store: SqlStore,
) -> None:
    tid = ticket(store, "包裹问题", body="我想问一下退款什么时候到账")
    store.take(tid, actor="alice")
    assert ids(store, "退款") == [tid]
    assert ids(store, "到账") == [tid]
    assert ids(store, "款什") == [tid]  # any two characters of the text, like the KB
    assert ids(store, "refund") == []
    store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="The Refund is on its way")
    assert ids(store, "refund") == [tid]  # searchable as soon as the write returned
    store.customer_message(tid, text="顺丰说明天送到")
    hits = store.search_tickets("顺丰", actor=None).items
    assert [h.ticket.id for h in hits] == [tid]
    match = hits[0].match
    assert match is not None and match.field is MatchField.MESSAGE
    start, end = match.highlights[0]
    assert match.text[start:end] == "顺丰"


def test_every_word_must_be_found_and_or_is_an_operator_never_everything(
    store: SqlStore,
) -> None:
    refund = ticket(store, "退款没到账", body="order or not")
    goods = ticket(store, "退货申请")
    ticket(store, "发票抬头")
    assert ids(store, "退款 到账") == [refund]
    assert ids(store, "退款 退货") == []
    assert sorted(ids(store, "退款 OR 退货")) == sorted([refund, goods])
    assert ids(store, "or") == [refund]  # lower-case: the word itself
    with pytest.raises(BadInput, match="OR needs a word"):
        store.search_tickets("OR", actor=None)
    with pytest.raises(BadInput, match="OR at the end"):
        store.search_tickets("退款 OR", actor=None)


def test_filters_narrow_the_words(store: SqlStore, clock: FakeClock) -> None:
    early = ticket(store, "退款一", category=Category.REFUND)
    clock.advance(days=3)
    late = ticket(store, "退款二", category=Category.LOGISTICS)
    store.take(late, actor="alice")
    day = (clock() + timedelta(hours=8)).date()  # the team's day (Shanghai)
    assert ids(store, "退款 owner:me", actor="alice") == [late]
    assert ids(store, "退款 owner:none") == [early]
    assert ids(store, "退款 status:new") == [early]
    assert ids(store, f"退款 status:{Status.OPEN.value} category:logistics") == [late]
    assert ids(store, f"退款 created<{day}") == [early]
    assert ids(store, f"created:{day}") == [late]
    assert ids(store, f"退款 created>{day - timedelta(days=1)}") == [late]
    assert ids(store, "") == [late, early]  # nothing asked: every ticket, newest first
    if isinstance(store, SqlStore):  # over HTTP the token always names someone
        with pytest.raises(BadInput, match="owner:me needs"):
            store.search_tickets("owner:me", actor=None)
    with pytest.raises(NotFound, match="owner:nobody"):
        store.search_tickets("owner:nobody", actor=None)


def test_identifiers_rank_first_then_subjects_then_threads_keyset_paged(
    store: SqlStore,
) -> None:
    in_thread = ticket(store, "物流", body="订单 SO77 的包裹破损")
    in_order = ticket(store, "退款", order="SO77", name="赵六")
    in_subject = ticket(store, "SO77 破损")
    newer_thread = ticket(store, "物流", body="破损了 SO77")
    expected = [in_order, in_subject, newer_thread, in_thread]
    assert ids(store, "so77") == expected
    seen, cursor = [], None
    while True:
        page = store.search_tickets("SO77", actor=None, limit=1, cursor=cursor)
        seen += [h.ticket.id for h in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected  # one at a time, across the tiers, none twice
    with pytest.raises(BadInput, match="cursor"):
        store.search_tickets("SO77", actor=None, cursor="9.1")


def test_dense_words_take_the_newest_first_walk_with_the_same_results(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL fetches few matches through GIN and walks the ids for many; pretending
    every word is dense must not change a single result (SQLite ignores the switch)."""
    from cstui.store import ticket_search

    in_thread = ticket(store, "物流", body="订单 SO77 的包裹破损")
    in_order = ticket(store, "退款", order="SO77", name="赵六")
    in_subject = ticket(store, "SO77 破损 status")
    sparse = ids(store, "so77") + ids(store, "破损 OR 退款") + ids(store, "破损 owner:none")
    monkeypatch.setattr(ticket_search, "PG_SPARSE", 0)
    dense = ids(store, "so77") + ids(store, "破损 OR 退款") + ids(store, "破损 owner:none")
    assert dense == sparse and sparse[:3] == [in_order, in_subject, in_thread]
