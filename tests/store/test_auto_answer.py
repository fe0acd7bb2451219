"""Automatic answers through the store's own intake (`create_ticket`, `customer_message`),
on every backend: once per ticket, in the same transaction, the order's state only to its
customer, a note in review mode, nothing while `[assist]` is off."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

import pytest

from cstui.assist.answer import ASSISTANT
from cstui.console.ticket import thread
from cstui.domain.model import Category, Channel, EventKind, MessageKind, Role
from cstui.domain.rules import AssistPolicy
from cstui.errors import BadInput
from cstui.store import SqlStore
from cstui.store.base import NewCustomer, NewOrder, NewTicket
from tests.store.test_suggest import _kb

ORDER = "SO20261102004512"
PRODUCT = Category.PRODUCT


def _world(store: SqlStore) -> int:
    _kb(store)
    who = store.add_customer(NewCustomer("陈静", email="chen.jing@example.cn"))
    store.add_order(
        NewOrder(ORDER, who.id, 99.0, tracking_no="SF1234567890123", logistics_status="delivered")
    )
    return who.id


def _auto(store: SqlStore, ticket_id: int) -> list[dict[str, object]]:
    return [
        e.new or {} for e in store.events(ticket_id=ticket_id) if e.kind is EventKind.AUTO_ANSWERED
    ]


def test_a_new_mail_ticket_is_answered_once(store: SqlStore) -> None:
    who = _world(store)
    store.rules = replace(store.rules, assist=AssistPolicy.all_on())
    made = store.create_ticket(
        NewTicket(who, "快递到哪了", f"订单{ORDER}快递到哪了", Channel.EMAIL, Category.PRODUCT)
    )
    (reply,) = [m for m in made.messages if m.kind is MessageKind.REPLY]
    assert ORDER in reply.body and "已签收" in reply.body and "查看物流" in reply.body
    assert reply.delivery is not None  # queued for the customer's address
    found = store.search_tickets("已签收", actor="alice")  # the answer is in the index
    assert [t.ticket.id for t in found.items] == [made.id]
    (event,) = _auto(store, made.id)
    assert event["answered"] == made.messages[0].id and event["mode"] == "send"
    store.customer_message(made.id, text=f"订单{ORDER}快递到哪了？")
    replies = [m for m in store.get_ticket(made.id).messages if m.kind is MessageKind.REPLY]
    assert len(replies) == 1 and len(_auto(store, made.id)) == 1


def test_off_by_default_and_review_mode_writes_a_note(store: SqlStore) -> None:
    who = _world(store)
    off = store.create_ticket(
        NewTicket(who, "快递到哪了", f"订单{ORDER}快递到哪了", Channel.EMAIL, Category.PRODUCT)
    )
    assert not _auto(store, off.id) and len(off.messages) == 1
    store.rules = replace(store.rules, assist=replace(AssistPolicy.all_on(), review=True))
    phone = store.create_ticket(
        NewTicket(who, "快递到哪了", f"订单{ORDER}快递到哪了", Channel.PHONE, Category.PRODUCT)
    )
    (note,) = [m for m in phone.messages if m.kind is MessageKind.NOTE]
    assert ORDER in note.body and [e["mode"] for e in _auto(store, phone.id)] == ["draft"]


def test_the_console_marks_the_automatic_answer(store: SqlStore) -> None:
    """The thread tells the agent which answer went out on its own (or waits as a draft);
    no agent can take the name it is signed with."""
    who = _world(store)
    store.rules = replace(store.rules, assist=AssistPolicy.all_on())
    made = store.create_ticket(
        NewTicket(who, "快递到哪了", f"你好，我的订单{ORDER}快递到哪了？", Channel.EMAIL, PRODUCT)
    )
    shown = thread(made.messages, UTC).plain
    assert shown.count(f"· {ASSISTANT} ·") == 1 and shown.count("[sent automatically]") == 1
    store.take(made.id, actor="alice")
    store.add_message(made.id, actor="alice", kind=MessageKind.REPLY, text="还有别的问题吗？")
    again = store.get_ticket(made.id).messages
    assert thread(again, UTC).plain.count("[sent automatically]") == 1  # not the agent's
    with pytest.raises(BadInput, match="automatic answers"):
        store.add_agent(name=ASSISTANT, role=Role.AGENT)
