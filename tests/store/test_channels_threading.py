"""Customers' mail and chat threaded into tickets by the store (SQLite and PostgreSQL):
every threading case, duplicates stored once, customers found or made with the rules of
any ticket."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import text

from cstui.domain.channels import DeliveryKind, DeliveryState
from cstui.domain.model import (
    Channel,
    EventKind,
    MessageKind,
    ResolutionCode,
    Status,
    Tier,
)
from cstui.domain.threading import Action, Via
from cstui.store import SqlStore
from cstui.store.base import NewCustomer
from tests.conftest import FakeClock
from tests.store.inbound import chat, mail


def test_a_new_sender_becomes_a_customer_with_a_new_ticket(store: SqlStore) -> None:
    done = store.ingest_traced(mail("Li.Lei@Example.CN", "Re: [ext] 订单没到"))
    assert done.decision.action is Action.NEW
    out = done.outcome
    assert out.created and not out.duplicate and out.message_id is not None
    t = store.get_ticket(out.ticket_id or 0)
    assert t.channel is Channel.EMAIL and t.status is Status.NEW
    assert t.subject == "[ext] 订单没到"  # the reply prefix goes, the rest stays
    assert t.customer.email == "li.lei@example.cn" and t.customer.name == "李雷"
    assert t.customer.tier is Tier.NEW
    assert t.due.first_response is not None  # the SLA clock runs as for any ticket
    assert [m.kind for m in t.messages] == [MessageKind.CUSTOMER]
    created = [e for e in store.events(ticket_id=t.id) if e.kind is EventKind.CREATED]
    assert len(created) == 1


def test_the_same_message_twice_is_stored_once(store: SqlStore) -> None:
    m = mail()
    first = store.ingest(m)
    logged = len(list(store.events()))
    again = store.ingest(m)
    assert again.duplicate and again.ticket_id == first.ticket_id and again.message_id is None
    assert len(store.messages(first.ticket_id or 0)) == 1
    assert len(list(store.events())) == logged  # nothing more logged
    third = store.ingest(replace(m, subject="something else"))  # same id: still the same
    assert third.duplicate


def test_a_known_address_finds_its_customer_case_blind(store: SqlStore) -> None:
    known = store.add_customer(NewCustomer("韩梅梅", email="han@example.cn"))
    out = store.ingest(mail("HAN@example.CN", "发票"))
    assert store.get_ticket(out.ticket_id or 0).customer.id == known.id


def test_a_tag_appends_to_the_open_ticket(store: SqlStore) -> None:
    first = store.ingest(mail(subject="订单没到"))
    tid = first.ticket_id or 0
    d = store.ingest_traced(mail(subject=f"完全不同的标题 [#{tid}]"))
    assert (d.decision.action, d.decision.via) == (Action.APPEND, Via.TAG)
    assert d.outcome.ticket_id == tid and not d.outcome.created
    assert len(store.messages(tid)) == 2


def test_in_reply_to_our_reply_appends(store: SqlStore) -> None:
    tid = store.ingest(mail(subject="退款")).ticket_id or 0
    store.take(tid, actor="alice")
    store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="已为您申请退款")
    sent = store.deliveries(ticket_id=tid)[0]
    ours = store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=timedelta(minutes=5))
    assert [o.id for o in ours] == [sent.id]
    d = store.ingest_traced(mail(subject="别的", references=(ours[0].external_id,)))
    assert (d.decision.action, d.decision.via, d.outcome.ticket_id) == (
        Action.APPEND,
        Via.REFERENCE,
        tid,
    )


def test_references_to_the_customers_own_earlier_mail_append(store: SqlStore) -> None:
    first = mail(subject="退款", external_id="<first@qq.com>")
    tid = store.ingest(first).ticket_id
    refs = ("<unknown@elsewhere>", "<first@qq.com>")
    d = store.ingest_traced(mail(subject="还是退款", references=refs))
    assert (d.decision.via, d.outcome.ticket_id) == (Via.REFERENCE, tid)


def test_same_sender_same_subject_threads_within_the_window(
    store: SqlStore, clock: FakeClock
) -> None:
    tid = store.ingest(mail(subject="订单没到")).ticket_id
    clock.advance(days=6)
    d = store.ingest_traced(mail(subject="回复：订单没到"))
    assert (d.decision.action, d.decision.via, d.outcome.ticket_id) == (
        Action.APPEND,
        Via.SUBJECT,
        tid,
    )
    other = store.ingest_traced(mail("someone.else@example.cn", "Re: 订单没到"))
    assert other.decision.action is Action.NEW  # another sender: its own ticket
    clock.advance(days=7, minutes=1)
    late = store.ingest_traced(mail(subject="答复: 订单没到"))
    assert late.decision.action is Action.NEW and late.outcome.ticket_id != tid


def test_a_reply_soon_after_resolving_reopens(store: SqlStore, clock: FakeClock) -> None:
    tid = store.ingest(mail()).ticket_id or 0
    store.take(tid, actor="alice")
    store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
    clock.advance(days=6)
    d = store.ingest_traced(mail(subject=f"Re: [#{tid}] 订单没到", text="还是没收到"))
    assert (d.decision.action, d.outcome.reopened, d.outcome.ticket_id) == (
        Action.REOPEN,
        True,
        tid,
    )
    t = store.get_ticket(tid)
    assert t.status is Status.OPEN and t.owner == "alice"
    assert any(e.kind is EventKind.REOPENED for e in store.events(ticket_id=tid))


def test_a_late_reply_opens_a_linked_ticket(store: SqlStore, clock: FakeClock) -> None:
    tid = store.ingest(mail()).ticket_id or 0
    store.take(tid, actor="alice")
    store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
    clock.advance(days=8)
    d = store.ingest_traced(mail(subject=f"Re: [#{tid}] 订单没到"))
    assert (d.decision.action, d.decision.ticket_id) == (Action.NEW_LINKED, tid)
    new = store.get_ticket(d.outcome.ticket_id or 0)
    assert d.outcome.created and d.outcome.linked_to == tid and new.links == (tid,)
    assert store.get_ticket(tid).status is Status.RESOLVED  # the old one stays finished
    # more than 7 days: the returning-customer rule does not route it to alice
    assert new.owner is None


def test_a_tag_from_another_customer_never_writes_into_their_ticket(store: SqlStore) -> None:
    tid = store.ingest(mail("victim@example.cn", "我的地址")).ticket_id or 0
    d = store.ingest_traced(mail("stranger@example.cn", f"Re: [#{tid}] 我的地址"))
    assert (d.decision.action, d.outcome.linked_to) == (Action.NEW_LINKED, tid)
    assert d.outcome.ticket_id != tid
    assert len(store.messages(tid)) == 1


def test_a_tag_of_no_ticket_threads_by_what_else_there_is(store: SqlStore) -> None:
    d = store.ingest_traced(mail(subject="Re: [#99999] 新问题"))
    assert d.decision.action is Action.NEW


def test_a_merged_tickets_reply_goes_to_the_survivor(store: SqlStore) -> None:
    a = store.ingest(mail(subject="A")).ticket_id or 0
    b = store.ingest(mail(subject="B")).ticket_id or 0
    store.take(a, actor="alice")
    store.take(b, actor="alice")
    store.merge_tickets(b, into=a, actor="alice")
    d = store.ingest_traced(mail(subject=f"Re: [#{b}] B"))
    assert (d.decision.action, d.outcome.ticket_id) == (Action.APPEND, a)


def test_the_returning_customer_goes_back_to_their_agent(store: SqlStore) -> None:
    tid = store.ingest(mail(subject="第一件事")).ticket_id or 0
    store.take(tid, actor="bob")
    store.resolve(tid, actor="bob", code=ResolutionCode.SOLVED)
    new = store.ingest(mail(subject="第二件事"))
    t = store.get_ticket(new.ticket_id or 0)
    assert new.created and t.owner == "bob" and t.status is Status.OPEN


def test_chat_threads_by_conversation_and_finds_the_user_again(store: SqlStore) -> None:
    first = store.ingest_traced(chat("wx-user-1", "conv-A", "在吗"))
    assert first.decision.action is Action.NEW
    tid = first.outcome.ticket_id or 0
    second = store.ingest_traced(chat("wx-user-1", "conv-A", "我的快递"))
    assert (second.decision.via, second.outcome.ticket_id) == (Via.CONVERSATION, tid)
    other = store.ingest(chat("wx-user-1", "conv-B", "另一个问题"))
    assert other.created and other.ticket_id != tid
    same_customer = store.get_ticket(tid).customer.id
    assert store.get_ticket(other.ticket_id or 0).customer.id == same_customer
    t = store.get_ticket(tid)
    assert t.channel is Channel.CHAT and t.subject == "在吗"  # no subject: the first line


def test_a_reply_on_chat_is_queued_for_the_conversation(store: SqlStore) -> None:
    tid = store.ingest(chat("app-user-9", "c-9", "退货", channel=Channel.APP)).ticket_id or 0
    store.take(tid, actor="alice")
    store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="请寄回")
    [out] = store.claim_deliveries(channels=[Channel.APP], limit=5, lease=timedelta(minutes=1))
    assert (out.recipient, out.conversation_id, out.kind) == (
        "app-user-9",
        "c-9",
        DeliveryKind.REPLY,
    )


def test_an_auto_reply_is_stored_and_threaded_but_a_bounce_is_not_a_message(
    store: SqlStore,
) -> None:
    from cstui.domain.channels import AutoKind

    tid = store.ingest(mail()).ticket_id or 0
    store.take(tid, actor="alice")
    store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="您好")
    [ours] = store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=timedelta(minutes=1))
    ooo = store.ingest(
        mail(subject="自动回复: 订单没到", references=(ours.external_id,), auto=AutoKind.AUTO_REPLY)
    )
    assert ooo.ticket_id == tid and ooo.message_id is not None
    before = len(store.messages(tid))
    bounce = store.ingest_traced(
        mail(
            "MAILER-DAEMON@qq.com",
            "Undelivered Mail",
            auto=AutoKind.BOUNCE,
            bounced_id=ours.external_id,
        )
    )
    assert bounce.decision.action is Action.BOUNCE and bounce.outcome.message_id is None
    assert bounce.outcome.ticket_id == tid and len(store.messages(tid)) == before
    [d] = store.deliveries(ticket_id=tid)
    assert d.state is DeliveryState.FAILED and d.error and "bounced" in d.error
    stray = store.ingest(mail("mailer-daemon@x.cn", "Undelivered", auto=AutoKind.BOUNCE))
    assert stray.ticket_id is None and stray.message_id is None


def test_a_new_senders_mails_at_once_make_one_customer_and_one_thread(store: SqlStore) -> None:
    mails = [
        mail("new.person@example.cn", "订单没到" if i == 0 else "Re: 订单没到") for i in range(6)
    ]
    twice = mails[0]
    start = threading.Barrier(7)

    def deliver(m: object) -> int | None:
        start.wait(timeout=20)
        return store.ingest(m).ticket_id  # type: ignore[arg-type]

    with ThreadPoolExecutor(7) as pool:
        tickets = set(pool.map(deliver, [*mails, twice]))
    assert len(tickets) == 1  # one ticket: the first opened it, the rest threaded by subject
    [tid] = tickets
    assert len(store.messages(tid or 0)) == 6  # the mail delivered twice is stored once
    with store.engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM customers WHERE email = 'new.person@example.cn'")
        )
        assert n.scalar_one() == 1


def test_a_hostile_conversation_id_still_threads(store: SqlStore) -> None:
    huge = "会话" * 400  # far over the column's 255 characters
    first = store.ingest(chat("wx-9", huge, "第一条"))
    second = store.ingest_traced(chat("wx-9", huge, "第二条"))
    assert (second.decision.via, second.outcome.ticket_id) == (Via.CONVERSATION, first.ticket_id)


def test_nul_and_lone_surrogates_are_kept_as_replacement_characters(store: SqlStore) -> None:
    hostile = mail(
        "bad\x00sender@example.cn",
        "订单\x00没到\ud800",
        "正文\x00里有 NUL \udcff",
        name="名\x00字",
        conversation_id=None,
    )
    out = store.ingest(hostile)
    [m] = store.messages(out.ticket_id or 0)
    assert m.body == "正文\ufffd里有 NUL \ufffd"
    t = store.get_ticket(out.ticket_id or 0)
    assert t.subject == "订单\ufffd没到\ufffd" and t.customer.name == "名\ufffd字"
    assert store.ingest(hostile).duplicate  # the same message, still known
