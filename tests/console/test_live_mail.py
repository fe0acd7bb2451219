"""`cstui demo --live`'s mail goes through the same intake as real mail: raw RFC 5322 bytes,
`parse_message`, then the store's `ingest`; the team's replies and surveys are taken off the
outbox as sent, and the customers answer them by Message-ID or by the ticket tag."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from random import Random

import pytest
from sqlalchemy import text

from cstui.demo import live, live_mail
from cstui.demo.live import Feeder
from cstui.demo.live_mail import Mail, Mailboxes, compose
from cstui.demo.mail import photos
from cstui.domain.channels import DeliveryKind, DeliveryState
from cstui.domain.model import Channel, EventKind, MessageKind, ResolutionCode, Ticket
from cstui.domain.threading import Via
from cstui.mail.parse import parse_message
from cstui.store import SqlStore

AGENT = "agent01"


def _mailboxes(store: SqlStore, seed: int = 1) -> Mailboxes:
    return Mailboxes(store, store.rules.channels, store.clock, Random(seed))


def _stored(store: SqlStore, message_id: int) -> dict[str, object]:
    sql = "SELECT channel, external_id, address FROM messages WHERE id = :i"
    with store.engine.connect() as conn:
        return dict(conn.execute(text(sql), {"i": message_id}).mappings().one())


def test_a_composed_mail_parses_back_to_what_the_customer_wrote() -> None:
    photo = photos()[0]
    mail = Mail(
        "林晓雨",
        "Lin.Xiaoyu@QQ.com",
        "【退货】杯子碎了，怎么处理？",
        "收到的杯子碎成两半了。\n\n照片在附件里，麻烦看一下。",
        datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        in_reply_to="<cstui.t12.0123456789abcdef@example.com>",
        references=("<tencent_AB@qq.com>",),
        photo=photo,
    )
    raw = compose(mail, to="support@example.com")
    assert b"\r\n" in raw and all(b < 0x80 for b in raw)  # 7-bit: encoded-words, base64
    inbound = parse_message(raw)
    assert (inbound.channel, inbound.sender_name) == (Channel.EMAIL, "林晓雨")
    assert inbound.sender_address == "lin.xiaoyu@qq.com"
    assert inbound.subject == mail.subject
    assert inbound.text.strip() == mail.body
    assert inbound.received_at == mail.date
    assert inbound.references == (mail.in_reply_to, "<tencent_AB@qq.com>")  # In-Reply-To first
    assert inbound.external_id.startswith("<tencent_") and inbound.external_id.endswith("@qq.com>")
    [file] = inbound.attachments
    assert (file.content_type, file.data) == ("image/jpeg", photo)
    assert file.filename.startswith("IMG_20261120_") and file.filename.endswith(".jpg")


def test_two_mails_never_share_a_message_id() -> None:
    mail = Mail("王芳", "wf@163.com", "问一下", "你好", datetime(2026, 11, 20, tzinfo=UTC))
    ids = {parse_message(compose(mail, to="support@example.com")).external_id for _ in range(50)}
    assert len(ids) == 50  # a second demo run must not look like a redelivery


@pytest.fixture
def mail_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every arrival a new mail from a new sender, with a photo."""
    monkeypatch.setattr(live, "CHANNELS", (Channel.EMAIL,))
    monkeypatch.setattr(live, "NEW_TICKET_SHARE", 1.0)
    monkeypatch.setattr(live, "NEW_SENDER_SHARE", 1.0)
    monkeypatch.setattr(live_mail, "PHOTO_SHARE", 1.0)


def _new_mail_ticket(store: SqlStore) -> Ticket:
    feeder = Feeder(lambda: store, seed=5)
    ticket = feeder.arrive(store)
    assert isinstance(ticket, Ticket) and feeder.written == 1
    return ticket


@pytest.mark.usefixtures("mail_only")
def test_a_new_mail_becomes_a_ticket_with_its_message_id_address_and_photo(
    store: SqlStore,
) -> None:
    ticket = _new_mail_ticket(store)
    full = store.get_ticket(ticket.id)
    assert full.channel is Channel.EMAIL
    [first] = full.messages
    stored = _stored(store, first.id)
    address = full.customer.email
    assert address and stored == {
        "channel": "email",
        "external_id": stored["external_id"],
        "address": address,
    }
    assert str(stored["external_id"]).startswith("<") and address == address.lower()
    [file] = store.attachments(ticket.id)
    meta, data = store.attachment(file.id)
    assert (meta.message_id, meta.content_type) == (first.id, "image/jpeg")
    assert data in photos() and meta.sha256 == hashlib.sha256(data).hexdigest()
    assert meta.size == len(data)


@pytest.mark.usefixtures("mail_only")
def test_our_reply_is_taken_off_the_outbox_and_answered_by_its_message_id(
    store: SqlStore,
) -> None:
    ticket = _new_mail_ticket(store)
    store.take(ticket.id, actor=AGENT)
    store.add_message(ticket.id, actor=AGENT, kind=MessageKind.REPLY, text="您好，已为您登记退货。")
    [queued] = store.deliveries(ticket_id=ticket.id)
    assert queued.state is DeliveryState.QUEUED
    boxes = _mailboxes(store)
    assert boxes.collect() == 1
    [sent] = store.deliveries(ticket_id=ticket.id)
    assert sent.state is DeliveryState.SENT
    ours = boxes.received[ticket.id]
    customer = store.get_ticket(ticket.id).customer
    assert customer.email
    answer = None
    for _ in range(20):  # now and then by the tag instead: a seed where it replies
        answer = boxes.answer(ticket.id, customer.name, customer.email, ticket.subject)
        if answer.in_reply_to:
            break
    assert answer is not None and answer.in_reply_to == ours.external_id
    inbound = parse_message(compose(answer, to=store.rules.channels.address))
    assert inbound.ticket_tag is None and ours.external_id in inbound.references
    traced = store.ingest_traced(inbound)
    assert traced.decision.via is Via.REFERENCE
    assert traced.outcome.ticket_id == ticket.id and not traced.outcome.created


@pytest.mark.usefixtures("mail_only")
def test_a_tagged_mail_threads_into_its_ticket(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = _new_mail_ticket(store)
    monkeypatch.setattr(live_mail, "TAG_SHARE", 1.0)
    customer = store.get_ticket(ticket.id).customer
    assert customer.email
    boxes = _mailboxes(store)
    again = boxes.answer(ticket.id, customer.name, customer.email, "另一个标题")
    assert f"[#{ticket.id}]" in again.subject
    outcome = boxes.deliver(again)
    assert (outcome.ticket_id, outcome.created, outcome.duplicate) == (ticket.id, False, False)
    assert len(store.get_ticket(ticket.id).messages) == 2


@pytest.mark.usefixtures("mail_only")
def test_a_survey_answered_by_mail_records_the_score(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_mail, "SURVEY_ANSWER_SHARE", 1.0)
    ticket = _new_mail_ticket(store)
    store.take(ticket.id, actor=AGENT)
    store.add_message(ticket.id, actor=AGENT, kind=MessageKind.REPLY, text="已退款。")
    store.resolve(ticket.id, actor=AGENT, code=ResolutionCode.REFUNDED)
    kinds = {d.kind for d in store.deliveries(ticket_id=ticket.id)}
    assert kinds == {DeliveryKind.REPLY, DeliveryKind.SURVEY}
    assert _mailboxes(store).collect() == 2
    assert all(d.state is DeliveryState.SENT for d in store.deliveries(ticket_id=ticket.id))
    csat = [e for e in store.events(ticket_id=ticket.id) if e.kind is EventKind.CSAT]
    assert len(csat) == 1
    assert store.get_ticket(ticket.id).status.value == "resolved"  # an answer does not reopen


def test_mail_arrivals_mix_with_the_others_and_keep_the_counts(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "CHANNELS", (Channel.EMAIL, Channel.CHAT))
    feeder = Feeder(lambda: store, seed=11)
    results = [feeder.arrive(store) for _ in range(30)]
    assert feeder.written == 30 and all(r is not None for r in results)
    with store.engine.connect() as conn:
        mails = conn.execute(
            text("SELECT count(*) FROM messages WHERE external_id IS NOT NULL")
        ).scalar_one()
        unaddressed = conn.execute(
            text(
                "SELECT count(*) FROM messages WHERE kind = 'customer' AND channel = 'email' "
                "AND (external_id IS NULL OR address IS NULL)"
            )
        ).scalar_one()
    assert mails > 0 and unaddressed == 0
