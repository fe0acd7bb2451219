"""Suggested answers through the store, on every backend: ranking, filling, freshness."""

from __future__ import annotations

import time

import pytest

from cstui import wire as W
from cstui.domain.model import ArticleKind, ArticleLang, Category, Channel, EventKind, Priority
from cstui.errors import BadInput, NotFound
from cstui.store import SqlStore, assist
from cstui.store.base import NewCustomer, NewOrder, NewTicket


def _kb(store: SqlStore) -> dict[str, int]:
    ids = {}
    for key, title, body, kind, tags, cat in [
        (
            "track",
            "如何查询订单物流？",
            "在我的订单里点查看物流。",
            ArticleKind.FAQ,
            ["物流", "查询"],
            Category.LOGISTICS,
        ),
        (
            "status",
            "物流进度告知",
            "您好{customer_name}，订单{order_id}运单号{tracking_no}，由{carrier}配送。",
            ArticleKind.TEMPLATE,
            ["logistics-status", "物流", "查询"],
            Category.LOGISTICS,
        ),
        (
            "refund",
            "退款多久能到账？",
            "退款原路返回，1-3个工作日到账。",
            ArticleKind.FAQ,
            ["退款", "到账"],
            Category.REFUND,
        ),
        (
            "invoice",
            "怎么开电子发票？",
            "在订单详情里申请开票。",
            ArticleKind.FAQ,
            ["发票"],
            Category.INVOICE,
        ),
    ]:
        a = store.add_article(
            title=title, body=body, kind=kind, tags=tags, category=cat, actor="alice"
        )
        ids[key] = a.id
    return ids


def test_text_suggestions_best_first(store: SqlStore) -> None:
    ids = _kb(store)
    found = store.suggest(text="我的快递到哪了 SO20261102004512")
    assert found.triage.category is Category.LOGISTICS
    assert [i.id for i in found.items][:2] == [ids["track"], ids["status"]]
    template = found.items[1]
    assert "SO20261102004512" in template.body  # the order the text names
    assert "customer_name" in template.missing
    assert store.suggest(text="发票怎么开", limit=1).items[0].id == ids["invoice"]


def test_ticket_suggestions_fill_templates_from_ticket_and_order(store: SqlStore) -> None:
    ids = _kb(store)
    customer = store.add_customer(NewCustomer("王芳", phone="13800001234"))
    store.add_order(
        NewOrder(
            "SO2026110100001",
            customer.id,
            99.0,
            tracking_no="SF1234567890123",
            logistics_status="in_transit",
        )
    )
    ticket = store.create_ticket(
        NewTicket(
            customer.id,
            "快递",
            "快递到哪了？三天没动",
            Channel.CHAT,
            Category.PRODUCT,
            order_number="SO2026110100001",
        )
    )
    found = store.suggest(ticket.id)
    assert found.ticket_id == ticket.id and found.triage.category is Category.LOGISTICS
    status = next(i for i in found.items if i.id == ids["status"])
    assert "王芳" in status.body and "SF1234567890123" in status.body
    assert "由顺丰速运配送" in status.body and status.missing == ()  # the number's carrier
    # The logistics FAQ opens with the parcel's state, as an automatic answer would.
    track = next(i for i in found.items if i.id == ids["track"])
    assert track.body.startswith("订单 SO2026110100001，物流状态：运输中，承运：顺丰速运")


def test_the_order_a_ticket_names_fills_it_when_it_is_the_customers(store: SqlStore) -> None:
    """A mail naming an order opens a ticket without one: the named order fills the
    answers if it is the customer's own, never another customer's."""
    ids = _kb(store)
    mine = store.add_customer(NewCustomer("王芳", phone="13800001234"))
    other = store.add_customer(NewCustomer("李雷", phone="13900001234"))
    store.add_order(NewOrder("SO20261101000011", mine.id, 9.0, tracking_no="YT1234567890123"))
    store.add_order(NewOrder("SO20261101000012", other.id, 9.0, tracking_no="JT1234567890123"))
    said = "订单SO20261101000011快递到哪了"  # 王芳's
    for who, shown in [(mine, True), (other, False)]:
        ticket = store.create_ticket(
            NewTicket(who.id, "快递到哪了", said, Channel.EMAIL, Category.PRODUCT)
        )
        found = store.suggest(ticket.id)
        status = next(i for i in found.items if i.id == ids["status"])
        assert ("由圆通速递配送" in status.body) is shown
        assert ("carrier" in status.missing) is not shown


def test_a_new_article_is_suggested_at_once(store: SqlStore) -> None:
    _kb(store)
    assert all("驿站" not in i.title for i in store.suggest(text="驿站取件码没收到").items)
    added = store.add_article(
        title="没收到驿站的取件码",
        body="请联系驿站。",
        tags=["驿站", "取件码"],
        category=Category.LOGISTICS,
        actor="alice",
    )
    assert store.suggest(text="驿站取件码没收到").items[0].id == added.id
    store.update_article(added.id, actor="alice", title="柜子取件")
    assert store.suggest(text="驿站取件码没收到").items[0].title == "柜子取件"


def test_drafts_and_cases_are_not_suggested(store: SqlStore) -> None:
    store.add_article(
        title="退款到账的故事",
        body="一位客户的退款…",
        kind=ArticleKind.CASE,
        lang=ArticleLang.ZH,
        tags=["退款"],
        category=Category.REFUND,
        actor="alice",
    )
    assert store.suggest(text="退款到账").items == ()


def test_bad_requests(store: SqlStore) -> None:
    with pytest.raises(BadInput, match="either a ticket id or a text"):
        store.suggest()
    with pytest.raises(BadInput, match="either a ticket id or a text"):
        store.suggest(1, text="x")
    with pytest.raises(BadInput, match="limit"):
        store.suggest(text="x", limit=0)
    with pytest.raises(BadInput, match="empty"):
        store.suggest(text="  ")
    with pytest.raises(NotFound):
        store.suggest(999)


def test_priority_and_risk_in_the_answer(store: SqlStore) -> None:
    found = store.suggest(text="垃圾！！！退款又没到账 我要去12315投诉")
    body = found.to_json()
    assert (body["priority"], body["risk"]) == (Priority.URGENT.value, "high")
    assert set(body) >= {"category", "priority", "risk", "items"}


def test_a_large_index_is_rebuilt_in_the_background(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous index answers meanwhile; the new article comes within a deadline."""
    _kb(store)
    store.suggest(text="驿站取件码")  # built, synchronously: there was none
    monkeypatch.setattr(assist, "SYNC_REBUILD", 0)
    added = store.add_article(
        title="没收到驿站的取件码", body="请联系驿站。", tags=["驿站", "取件码"],
        category=Category.LOGISTICS, actor="alice",
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while store.suggest(text="驿站取件码没收到").items[0].id != added.id:
        assert time.monotonic() < deadline, "the index was never rebuilt"
        time.sleep(0.01)


def test_triage_is_logged_as_the_customer_writes(store: SqlStore) -> None:
    """A new ticket and each customer message record what triage read them as."""
    customer = store.add_customer(NewCustomer("王芳", phone="13800001234"))
    ticket = store.create_ticket(
        NewTicket(customer.id, "发票", "怎么开电子发票", Channel.CHAT, Category.PRODUCT)
    )
    store.customer_message(ticket.id, text="车厘子到了全烂了！！！再不处理我就打12315")
    logged = [
        e.new for e in store.events(ticket_id=ticket.id)
        if e.kind in (EventKind.CREATED, EventKind.CUSTOMER_MESSAGE)
    ]  # fmt: skip
    assert logged[0] is not None and logged[1] is not None
    assert (logged[0]["category"], logged[0]["triaged"]) == ("product", "invoice")
    assert logged[0]["triaged_priority"] == "low" and logged[0]["green_candidate"] is False
    later = logged[1]
    assert (later["triaged"], later["risk"], later["green_candidate"]) == (
        "complaint",
        "high",
        True,
    )
    assert later["triaged_priority"] == "urgent"


def test_the_ticket_carries_its_latest_triage(store: SqlStore) -> None:
    """The ticket read with its thread shows what triage logged last, with the reasons."""
    customer = store.add_customer(NewCustomer("李雷", phone="13800004321"))
    ticket = store.create_ticket(
        NewTicket(customer.id, "发票", "怎么开电子发票", Channel.CHAT, Category.PRODUCT)
    )
    first = store.get_ticket(ticket.id).triage
    assert first is not None and first.category is Category.INVOICE
    assert any(r.startswith("category: ") for r in first.reasons)
    assert store.get_ticket(ticket.id, with_messages=False).triage is None
    store.customer_message(ticket.id, text="车厘子到了全烂了！！！再不处理我就打12315")
    read = store.get_ticket(ticket.id)
    later = read.triage
    assert later is not None and (later.category, later.risk) == (Category.COMPLAINT, "high")
    assert later.green and later.priority is Priority.URGENT
    # The HTTP store reads it back from the wire as it was.
    wire = W.TicketPublic.model_validate(W.TicketPublic.encode(read, messages=True))
    assert wire.to_domain().triage == later
