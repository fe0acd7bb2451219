"""The outbox (SQLite and PostgreSQL): a reply queued in its own transaction, claims that
never overlap, leases that run out, retries and permanent failures, acknowledgements
rate-limited and never to auto mail, the survey once, CSAT once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text

from cstui.domain.channels import AutoKind, DeliveryKind, DeliveryState
from cstui.domain.model import (
    Category,
    Channel,
    EventKind,
    MessageKind,
    ResolutionCode,
    Status,
)
from cstui.errors import Conflict
from cstui.store import SqlStore
from cstui.store.base import NewCustomer, NewTicket
from tests.conftest import FakeClock
from tests.store.inbound import mail, with_policy

LEASE = timedelta(minutes=5)


def owned_mail_ticket(store: SqlStore, sender: str = "li.lei@example.cn") -> int:
    tid = store.ingest(mail(sender)).ticket_id or 0
    store.take(tid, actor="alice")
    return tid


def reply(store: SqlStore, tid: int, body: str = "您好，已处理") -> int:
    return store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text=body).id


def test_a_reply_to_a_mail_customer_is_queued_a_note_is_not(store: SqlStore) -> None:
    tid = owned_mail_ticket(store)
    mid = reply(store, tid)
    store.add_message(tid, actor="alice", kind=MessageKind.NOTE, text="内部备注")
    [d] = store.deliveries(ticket_id=tid)
    assert (d.kind, d.message_id, d.state, d.recipient) == (
        DeliveryKind.REPLY,
        mid,
        DeliveryState.QUEUED,
        "li.lei@example.cn",
    )


def test_a_phone_ticket_or_an_unreachable_customer_queues_nothing(store: SqlStore) -> None:
    c = store.add_customer(NewCustomer("王五", phone="13800000000"))
    for channel in (Channel.PHONE, Channel.EMAIL, Channel.CHAT):
        t = store.create_ticket(NewTicket(c.id, "咨询", "你好", channel, Category.PRODUCT))
        if t.owner is None:  # later ones go back to alice (the returning-customer rule)
            store.take(t.id, actor="alice")
        reply(store, t.id)
        assert store.deliveries(ticket_id=t.id) == []


def _refuse_deliveries(store: SqlStore) -> None:
    """A trigger that refuses every new delivery, as a constraint would."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER no_delivery BEFORE INSERT ON deliveries "
                    "BEGIN SELECT RAISE(ABORT, 'no deliveries today'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION no_delivery() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'no deliveries today' USING ERRCODE = 'check_violation'; "
                    "END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER no_delivery BEFORE INSERT ON deliveries "
                    "FOR EACH ROW EXECUTE FUNCTION no_delivery()"
                )
            )


def test_a_reply_whose_delivery_cannot_be_queued_is_not_stored(store: SqlStore) -> None:
    tid = owned_mail_ticket(store)
    before = store.get_ticket(tid)
    logged = len(list(store.events()))
    _refuse_deliveries(store)
    with pytest.raises(Conflict):
        reply(store, tid)
    after = store.get_ticket(tid)
    assert len(after.messages) == len(before.messages)  # the reply went with it
    assert after.version == before.version and len(list(store.events())) == logged


def test_claims_lease_and_the_lease_runs_out(store: SqlStore, clock: FakeClock) -> None:
    tid = owned_mail_ticket(store)
    reply(store, tid)
    [first] = store.claim_deliveries(channels=[Channel.EMAIL], limit=10, lease=LEASE)
    assert first.attempts == 1 and first.body == "您好，已处理" and first.subject == "订单没到"
    assert store.claim_deliveries(channels=[Channel.EMAIL], limit=10, lease=LEASE) == []
    assert store.claim_deliveries(channels=[Channel.CHAT], limit=10, lease=LEASE) == []
    clock.advance(minutes=5, seconds=1)  # the worker died holding it
    [again] = store.claim_deliveries(channels=[Channel.EMAIL], limit=10, lease=LEASE)
    assert (again.id, again.external_id, again.attempts) == (first.id, first.external_id, 2)
    store.delivery_sent(again.id)
    store.delivery_sent(again.id)  # a repeated report changes nothing
    [d] = store.deliveries(ticket_id=tid)
    assert d.state is DeliveryState.SENT and d.sent_at == clock.now
    clock.advance(hours=1)
    assert store.claim_deliveries(channels=[Channel.EMAIL], limit=10, lease=LEASE) == []
    assert store.delivery_counts()[DeliveryState.SENT] == 1


def test_failures_retry_then_fail_for_good(store: SqlStore, clock: FakeClock) -> None:
    with_policy(store, max_attempts=3)
    tid = owned_mail_ticket(store)
    reply(store, tid)
    for attempt in (1, 2):
        [o] = store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=LEASE)
        assert o.attempts == attempt
        state = store.delivery_failed(o.id, error="421 try later", retry_at=clock.now + LEASE)
        assert state is DeliveryState.QUEUED
        assert store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=LEASE) == []
        clock.advance(minutes=5)
    [o] = store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=LEASE)
    assert store.delivery_failed(o.id, error="421\n again", retry_at=clock.now) is (
        DeliveryState.FAILED
    )
    [d] = store.deliveries(ticket_id=tid, state=DeliveryState.FAILED)
    assert d.attempts == 3 and d.error == "421 again"


def test_a_permanent_refusal_fails_at_once(store: SqlStore) -> None:
    tid = owned_mail_ticket(store)
    reply(store, tid)
    [o] = store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=LEASE)
    assert store.delivery_failed(o.id, error="550 no such user", retry_at=None) is (
        DeliveryState.FAILED
    )
    assert store.delivery_counts() == {
        DeliveryState.QUEUED: 0,
        DeliveryState.SENT: 0,
        DeliveryState.FAILED: 1,
    }


def test_two_claimers_never_hold_the_same_delivery(store: SqlStore) -> None:
    tid = owned_mail_ticket(store)
    for i in range(6):
        reply(store, tid, f"回复 {i}")
    other: list[int] = []
    claimed = threading.Event()

    def second_worker() -> None:
        got = store.claim_deliveries(channels=[Channel.EMAIL], limit=6, lease=LEASE)
        other.extend(o.id for o in got)
        claimed.set()

    worker = threading.Thread(target=second_worker)
    with store.transaction():  # the first worker's claim, not committed yet
        mine = [
            o.id for o in store.claim_deliveries(channels=[Channel.EMAIL], limit=3, lease=LEASE)
        ]
        worker.start()
        if store.engine.dialect.name == "postgresql":
            # SKIP LOCKED: the second claim neither waits for this one nor takes its rows
            assert claimed.wait(timeout=20), "the second claim waited for the first"
    worker.join(timeout=20)
    assert claimed.is_set()
    assert len(mine) == 3 and len(other) == 3 and not set(mine) & set(other)


def test_an_acknowledgement_goes_to_new_senders_at_most_n_an_hour(
    store: SqlStore, clock: FakeClock
) -> None:
    with_policy(store, acknowledge_new=True, acknowledge_per_hour=2)
    tickets = [store.ingest(mail(subject=f"问题 {i}")).ticket_id for i in range(3)]
    acks = store.deliveries(state=DeliveryState.QUEUED)
    assert sorted(d.ticket_id for d in acks) == sorted(tickets[:2])
    assert {d.kind for d in acks} == {DeliveryKind.ACK}
    store.ingest(mail(subject=f"Re: [#{tickets[0]}] 问题 0"))  # a reply: no acknowledgement
    clock.advance(hours=1, seconds=1)
    later = store.ingest(mail(subject="问题 4")).ticket_id
    acked = [d.ticket_id for d in store.deliveries() if d.kind is DeliveryKind.ACK]
    assert acked == [later, *reversed(tickets[:2])]  # newest first
    [ack] = [
        o
        for o in store.claim_deliveries(channels=[Channel.EMAIL], limit=10, lease=LEASE)
        if o.ticket_id == later
    ]
    assert f"[#{later}]" in ack.body


def test_auto_mail_is_never_acknowledged_nor_surveyed(store: SqlStore) -> None:
    with_policy(store, acknowledge_new=True)
    out = store.ingest(mail("noreply@shop.example", "自动回复", auto=AutoKind.AUTO_REPLY))
    tid = out.ticket_id or 0
    assert out.created and store.deliveries() == []
    store.take(tid, actor="alice")
    store.resolve(tid, actor="alice", code=ResolutionCode.INFO_PROVIDED)
    assert store.deliveries() == []


def test_the_survey_is_queued_once_on_resolving(store: SqlStore) -> None:
    tid = owned_mail_ticket(store)
    store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
    [survey] = store.deliveries(ticket_id=tid)
    assert survey.kind is DeliveryKind.SURVEY
    store.ingest(mail(subject=f"Re: [#{tid}] 订单没到", text="还有个问题"))  # reopens
    store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
    assert [d.kind for d in store.deliveries(ticket_id=tid)] == [DeliveryKind.SURVEY]


def test_no_survey_when_the_policy_says_so(store: SqlStore) -> None:
    with_policy(store, survey=False)
    tid = owned_mail_ticket(store)
    store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
    assert store.deliveries() == []


def test_a_digit_reply_to_the_survey_records_csat_once(store: SqlStore) -> None:
    tid = owned_mail_ticket(store)
    store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
    [survey] = store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=LEASE)
    assert survey.kind is DeliveryKind.SURVEY and survey.body == ""
    first = store.ingest(
        mail(subject="Re: 满意度", text="5\n> 请回复1-5", references=(survey.external_id,))
    )
    second = store.ingest(mail(subject="Re: 满意度", text="1", references=(survey.external_id,)))
    assert first.ticket_id == second.ticket_id == tid
    scores = [e.new for e in store.events(ticket_id=tid) if e.kind is EventKind.CSAT]
    assert scores == [{"score": 5, "owner": "alice"}]
    assert store.get_ticket(tid).status is Status.RESOLVED  # an answer does not reopen it
    stranger = store.ingest(
        mail("other@example.cn", "Re: 满意度", text="1", references=(survey.external_id,))
    )
    assert stranger.ticket_id != tid  # only the ticket's customer answers its survey
    assert len([e for e in store.events(ticket_id=tid) if e.kind is EventKind.CSAT]) == 1


def test_record_csat_refuses_a_second_score(store: SqlStore) -> None:
    tid = owned_mail_ticket(store)
    store.record_csat(tid, score=4)
    with pytest.raises(Conflict, match="already"):
        store.record_csat(tid, score=5)
    assert len([e for e in store.events(ticket_id=tid) if e.kind is EventKind.CSAT]) == 1


def test_mailbox_cursors(store: SqlStore) -> None:
    assert store.mailbox_cursor("support") is None
    store.save_mailbox_cursor("support", uidvalidity=1700000000, last_uid=41)
    store.save_mailbox_cursor("support", uidvalidity=1700000000, last_uid=42)
    store.save_mailbox_cursor("sales", uidvalidity=7, last_uid=1)
    assert store.mailbox_cursor("support") == (1700000000, 42)
    assert store.mailbox_cursor("sales") == (7, 1)


def test_two_answers_at_once_count_once(store: SqlStore) -> None:
    tid = owned_mail_ticket(store)
    store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
    start = threading.Barrier(4)

    def answer(score: int) -> str:
        start.wait(timeout=20)
        try:
            store.record_csat(tid, score=score)
        except Conflict:
            return "refused"
        return "counted"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(answer, (1, 2, 4, 5)))
    assert outcomes == ["counted", "refused", "refused", "refused"]
    assert len([e for e in store.events(ticket_id=tid) if e.kind is EventKind.CSAT]) == 1
