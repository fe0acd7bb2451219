"""One customer across channels: an unknown sender naming a known phone, e-mail address or
order number is that customer; their own address always wins."""

from __future__ import annotations

from datetime import UTC, datetime

from cstui.domain.channels import Inbound
from cstui.domain.model import Channel
from cstui.store import SqlStore
from cstui.store.base import NewCustomer, NewOrder

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def chat(n: int, user: str, text: str) -> Inbound:
    return Inbound(
        Channel.CHAT, f"m-{n}", user, "", "", text, text, AT, conversation_id=f"conv-{n}"
    )


def mail(n: int, sender: str, text: str) -> Inbound:
    return Inbound(Channel.EMAIL, f"<m-{n}@example.cn>", sender, "", "咨询", text, text, AT)


def test_a_known_number_in_the_text_finds_the_customer(store: SqlStore) -> None:
    known = store.add_customer(
        NewCustomer("王芳", phone="13800001234", email="wang.fang@example.cn")
    )
    other = store.add_customer(NewCustomer("李雷", phone="13900005678"))
    store.add_order(NewOrder("SO20261102004512", other.id, 99.0))
    cases = [
        (chat(1, "wx-user-1", "我手机号138 0000 1234，快递到哪了"), known.id, "phone"),
        (chat(2, "wx-user-2", "my mail is Wang.Fang@example.cn"), known.id, "email"),
        (chat(3, "wx-user-3", "订单SO20261102004512还没发货"), other.id, "order"),
    ]
    for message, customer_id, how in cases:
        out = store.ingest(message)
        assert out.customer_by == how
        assert store.get_ticket(out.ticket_id or 0).customer.id == customer_id


def test_the_senders_own_address_wins_and_unknown_numbers_link_nobody(store: SqlStore) -> None:
    store.add_customer(NewCustomer("王芳", phone="13800001234", email="wang.fang@example.cn"))
    mine = store.add_customer(NewCustomer("陈静", email="chen.jing@example.cn"))
    own = store.ingest(mail(4, "chen.jing@example.cn", "帮我老婆13800001234查下订单"))
    assert own.customer_by is None
    assert store.get_ticket(own.ticket_id or 0).customer.id == mine.id
    stranger = store.ingest(mail(5, "new@example.net", "电话13712345678，订单SO20990101000001"))
    assert stranger.customer_by is None
    assert store.get_ticket(stranger.ticket_id or 0).customer.email == "new@example.net"
