"""The workers on the real store (SQLite and PostgreSQL) with real servers: mail polled from
Dovecot becomes tickets once; a reply goes out through aiosmtpd threaded under the customer's
mail; 5xx fails it for good, 4xx retries it with backoff until it goes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from cstui.channel_config import ChannelSettings
from cstui.channels.locks import NoLock
from cstui.channels.retry import RetryPolicy
from cstui.channels.service import parser, senders_for
from cstui.channels.worker import DeliveryWorker, MailboxWorker
from cstui.domain.channels import DeliveryState, Inbound
from cstui.domain.model import MessageKind
from cstui.store import SqlStore, View

from ..conftest import FakeClock
from .conftest import Dovecot, SmtpServer
from .mails import customer_mail, message_id


def channel_settings(smtp: SmtpServer | None = None, **extra: object) -> ChannelSettings:
    return ChannelSettings(
        address="support@shop.example",
        display_name="客服",
        smtp=smtp.settings() if smtp else None,
        **extra,  # type: ignore[arg-type]
    )


def poller(store: SqlStore, dovecot: Dovecot, user: str, clock: FakeClock) -> MailboxWorker:
    settings = channel_settings()
    return MailboxWorker(store, dovecot.settings(user), NoLock(), parser(settings, clock=clock))


def deliverer(
    store: SqlStore, smtp: SmtpServer, clock: FakeClock, **extra: object
) -> DeliveryWorker:
    settings = channel_settings(smtp, **extra)
    senders = senders_for(settings, clock=clock, lang="zh")
    policy = RetryPolicy(max_attempts=settings.max_attempts, first=60, cap=600, jitter=0)
    return DeliveryWorker(store, settings, senders, clock=clock, policy=policy)


def test_polled_mail_becomes_tickets_once_across_restarts(
    store: SqlStore, dovecot: Dovecot, mailbox_user: str, clock: FakeClock
) -> None:
    dovecot.deliver(mailbox_user, [customer_mail(n, sender=f"b{n}@example.cn") for n in range(3)])
    first = poller(store, dovecot, mailbox_user, clock).poll_once()
    assert first is not None and first.ingested == 3
    tickets = store.list_tickets(View.ALL_OPEN, actor="alice", limit=50).items
    assert len(tickets) == 3
    # A new worker (a restart) from the stored cursor: nothing fetched again.
    again = poller(store, dovecot, mailbox_user, clock).poll_once()
    assert again is not None and again.ingested == 0
    # The folder renumbered: all fetched again, and the store keeps each mail once.
    dovecot.set_uidvalidity(mailbox_user, first.uidvalidity + 5)
    dovecot.deliver(mailbox_user, [customer_mail(3, sender="b3@example.cn")])
    renumbered = poller(store, dovecot, mailbox_user, clock).poll_once()
    assert renumbered is not None and renumbered.restarted and renumbered.ingested == 4
    assert len(store.list_tickets(View.ALL_OPEN, actor="alice", limit=50).items) == 4
    assert store.mailbox_cursor(mailbox_user) == (first.uidvalidity + 5, 4)


def _ticket_with_reply(
    store: SqlStore, dovecot: Dovecot, user: str, clock: FakeClock, n: int = 0
) -> int:
    dovecot.deliver(user, [customer_mail(n, sender=f"b{n}@example.cn")])
    poller(store, dovecot, user, clock).poll_once()
    [ticket] = [
        t
        for t in store.list_tickets(View.ALL_OPEN, actor="alice", limit=50).items
        if t.subject.endswith(f"{1000 + n} 还没到")
    ]
    store.take(ticket.id, actor="alice")
    store.add_message(
        ticket.id, actor="alice", kind=MessageKind.REPLY, text="您好，已为您催促物流。"
    )
    return ticket.id


def test_a_reply_arrives_threaded_under_the_customers_mail(
    store: SqlStore, dovecot: Dovecot, mailbox_user: str, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    ticket_id = _ticket_with_reply(store, dovecot, mailbox_user, clock)
    worker = deliverer(store, smtp_server, clock)
    assert worker.run_once() == 1
    [got] = smtp_server.collector.received
    assert got.recipients == ["b0@example.cn"]
    assert got.message["In-Reply-To"] == message_id(0)
    assert message_id(0) in str(got.message["References"])
    assert f"[#{ticket_id}]" in str(got.message["Subject"])
    [delivery] = store.deliveries(ticket_id=ticket_id)
    assert delivery.state is DeliveryState.SENT
    assert worker.run_once() == 0  # nothing left: sent once
    assert smtp_server.collector.count() == 1


def test_5xx_fails_for_good_and_4xx_is_retried_with_backoff_until_sent(
    store: SqlStore, dovecot: Dovecot, mailbox_user: str, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    gone = _ticket_with_reply(store, dovecot, mailbox_user, clock, 0)
    busy = _ticket_with_reply(store, dovecot, mailbox_user, clock, 1)
    answers = {"b0@example.cn": "550 5.1.1 no such user"}
    tries = {"b1@example.cn": 0}

    def refuse(rcpt: str) -> str | None:
        if rcpt in tries:
            tries[rcpt] += 1
            return "451 4.3.0 try later" if tries[rcpt] <= 2 else None
        return answers.get(rcpt)

    smtp_server.collector.refuse = refuse
    worker = deliverer(store, smtp_server, clock)
    assert worker.run_once() == 2
    [failed] = store.deliveries(ticket_id=gone)
    assert failed.state is DeliveryState.FAILED and "550 5.1.1 no such user" in (failed.error or "")
    [waiting] = store.deliveries(ticket_id=busy)
    assert waiting.state is DeliveryState.QUEUED and "451" in (waiting.error or "")
    # Not before its backoff: 60 s, then 120 s.
    assert worker.run_once() == 0
    clock.advance(seconds=61)
    assert worker.run_once() == 1
    clock.advance(seconds=61)
    assert worker.run_once() == 0
    clock.advance(seconds=60)
    assert worker.run_once() == 1
    [sent] = store.deliveries(ticket_id=busy)
    assert (sent.state, sent.attempts) == (DeliveryState.SENT, 3)
    assert smtp_server.collector.by_message_id() == {
        f"{smtp_server.collector.received[0].message['Message-ID']}": 1
    }
    assert store.delivery_counts() == {
        DeliveryState.QUEUED: 0,
        DeliveryState.SENT: 1,
        DeliveryState.FAILED: 1,
    }


def test_attempts_run_out(
    store: SqlStore, dovecot: Dovecot, mailbox_user: str, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    ticket_id = _ticket_with_reply(store, dovecot, mailbox_user, clock)
    smtp_server.collector.refuse = lambda rcpt: "421 4.7.0 go away"
    worker = deliverer(store, smtp_server, clock, max_attempts=3)
    for _ in range(3):
        worker.run_once()
        clock.advance(hours=1)
    [delivery] = store.deliveries(ticket_id=ticket_id)
    assert delivery.state is DeliveryState.FAILED
    assert "gave up after 3 attempts" in (delivery.error or "")


def test_the_loops_stop_when_asked(
    store: SqlStore, dovecot: Dovecot, mailbox_user: str, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    stop = threading.Event()
    mailbox = poller(store, dovecot, mailbox_user, clock)
    thread = threading.Thread(target=mailbox.run, args=(stop,))
    thread.start()
    dovecot.deliver(mailbox_user, [customer_mail(9)])
    from .conftest import wait_for

    wait_for(
        lambda: store.list_tickets(View.ALL_OPEN, actor="alice", limit=5).items,
        timeout=15,
        what="the mail",
    )
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert timedelta(seconds=mailbox.mailbox.poll_seconds) < timedelta(seconds=1)


def test_a_message_the_store_refuses_is_skipped_and_the_rest_of_its_batch_kept(
    store: SqlStore, dovecot: Dovecot, mailbox_user: str, clock: FakeClock
) -> None:
    dovecot.deliver(mailbox_user, [customer_mail(n, sender=f"b{n}@example.cn") for n in range(4)])
    parse = parser(channel_settings(), clock=clock)

    def refusing(raw: bytes) -> Inbound:
        inbound = parse(raw)
        if inbound.external_id == message_id(1).strip("<>") or inbound.external_id == message_id(1):
            raise ValueError("hostile")
        return inbound

    worker = MailboxWorker(store, dovecot.settings(mailbox_user), NoLock(), refusing)
    result = worker.poll_once()
    assert result is not None and (result.ingested, result.new, result.skipped) == (3, 3, 1)
    assert worker.stored == 3
    assert len(store.list_tickets(View.ALL_OPEN, actor="alice", limit=50).items) == 3
    assert store.mailbox_cursor(mailbox_user) == (result.uidvalidity, 4)


def test_a_crash_between_the_relays_ok_and_the_mark_resends_with_the_same_message_id(
    store: SqlStore, dovecot: Dovecot, mailbox_user: str, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    """The one case that repeats a reply, shown as it is: the receiver gets the same
    Message-ID twice and can drop the second."""
    ticket_id = _ticket_with_reply(store, dovecot, mailbox_user, clock)

    class DiesBeforeTheMark:
        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def delivery_sent(self, delivery_id: int) -> None:
            raise SystemExit("killed after the relay's 250, before the mark's commit")

    settings = channel_settings(smtp_server)
    senders = senders_for(settings, clock=clock, lang="zh")
    dying = DeliveryWorker(
        DiesBeforeTheMark(),
        settings,
        senders,
        clock=clock,
        policy=RetryPolicy(),  # type: ignore[arg-type]
    )
    with pytest.raises(SystemExit):
        dying.run_once()
    assert worker_after_lease(store, smtp_server, clock).run_once() == 1
    ids = smtp_server.collector.by_message_id()
    assert list(ids.values()) == [2]  # sent twice, under one Message-ID
    [delivery] = store.deliveries(ticket_id=ticket_id)
    assert delivery.state is DeliveryState.SENT


def worker_after_lease(store: SqlStore, smtp: SmtpServer, clock: FakeClock) -> DeliveryWorker:
    worker = deliverer(store, smtp, clock)
    assert worker.run_once() == 0  # still leased to the dead worker
    clock.advance(seconds=worker.lease.total_seconds() + 1)
    return worker


def test_a_photo_comes_in_with_the_mail_and_a_file_goes_out_with_the_reply(
    store: SqlStore, dovecot: Dovecot, mailbox_user: str, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    from email.message import EmailMessage

    from cstui.domain.channels import NewAttachment

    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
    mail = EmailMessage()
    mail["From"] = "买家 <photo@example.cn>"
    mail["To"] = "support@shop.example"
    mail["Subject"] = "收到的杯子碎了"
    mail["Message-ID"] = "<photo.1@example.cn>"
    mail.set_content("杯子碎了，见照片。")
    mail.add_attachment(photo, maintype="image", subtype="jpeg", filename="碎了.jpg")
    dovecot.deliver(mailbox_user, [bytes(mail)])
    poller(store, dovecot, mailbox_user, clock).poll_once()
    [ticket] = store.list_tickets(View.ALL_OPEN, actor="alice", limit=5).items
    [attachment] = store.attachments(ticket.id)
    assert (attachment.filename, attachment.content_type) == ("碎了.jpg", "image/jpeg")
    assert store.attachment(attachment.id)[1] == photo

    store.take(ticket.id, actor="alice")
    receipt = NewAttachment("退款单.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 500)
    store.add_message(
        ticket.id, actor="alice", kind=MessageKind.REPLY, text="已退款", attachments=[receipt]
    )
    assert deliverer(store, smtp_server, clock).run_once() == 1
    [got] = smtp_server.collector.received
    [part] = list(got.message.iter_attachments())
    assert part.get_filename() == "退款单.pdf"
    assert part.get_content() == receipt.data
    assert got.message["In-Reply-To"] == "<photo.1@example.cn>"


def test_a_resolved_tickets_survey_goes_out_once_with_signed_links(
    store: SqlStore,
    dovecot: Dovecot,
    mailbox_user: str,
    smtp_server: SmtpServer,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cstui.channel_config import SecretRef, SurveySettings
    from cstui.domain.model import ResolutionCode
    from cstui.domain.survey import read_token

    monkeypatch.setenv("CSTUI_TEST_SURVEY_SECRET", "survey-key")
    ticket_id = _ticket_with_reply(store, dovecot, mailbox_user, clock)
    store.resolve(ticket_id, actor="alice", code=ResolutionCode.SOLVED)
    survey = SurveySettings(
        secret=SecretRef(env="CSTUI_TEST_SURVEY_SECRET"), base_url="https://cs.shop.example"
    )
    worker = deliverer(store, smtp_server, clock, survey=survey)
    assert worker.run_once() == 2  # the reply, then the survey
    assert worker.run_once() == 0
    reply, asked = smtp_server.collector.received
    text = asked.message.get_body(("plain",)).get_content()
    links = [w for w in text.split() if w.startswith("https://cs.shop.example/csat/")]
    assert len(links) == 5
    token = links[0].removeprefix("https://cs.shop.example/csat/").split("?")[0]
    assert read_token(token, secret=b"survey-key", now=clock()) == ticket_id
    assert asked.message["In-Reply-To"] == reply.message["In-Reply-To"]


def test_a_chat_reply_is_posted_to_the_channels_webhook_signed(
    store: SqlStore,
    smtp_server: SmtpServer,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from cstui.channel_config import IntakeSettings, SecretRef
    from cstui.domain import signing
    from cstui.domain.model import Channel

    from .test_webhook import serving_endpoint

    monkeypatch.setenv("CSTUI_TEST_CHAT_SECRET", "chat-key")
    with serving_endpoint() as (url, handler):
        handler.status = 503  # the platform is down at first: retried, then taken
        came = store.ingest(
            Inbound(
                Channel.CHAT,
                "wx-1",
                "wx-user-9",
                "买家",
                "",
                "快递没动",
                "快递没动",
                clock(),
                conversation_id="conv-3",
            )
        )
        assert came.ticket_id is not None
        store.take(came.ticket_id, actor="alice")
        store.add_message(came.ticket_id, actor="alice", kind=MessageKind.REPLY, text="已催促")
        chat = IntakeSettings(secret=SecretRef(env="CSTUI_TEST_CHAT_SECRET"), webhook_url=url)
        worker = deliverer(store, smtp_server, clock, intake={"chat": chat})
        assert worker.run_once() == 1
        [waiting] = store.deliveries(ticket_id=came.ticket_id)
        assert waiting.state is DeliveryState.QUEUED and "HTTP 503" in (waiting.error or "")
        handler.status = 200
        clock.advance(seconds=61)
        assert worker.run_once() == 1
        worker.close()
    first, second = handler.seen
    assert first[0]["Idempotency-Key"] == second[0]["Idempotency-Key"]  # the same message
    headers, body = second
    signing.verify(
        b"chat-key", headers["X-Cstui-Timestamp"], headers["X-Cstui-Signature"], body, now=clock()
    )
    sent = json.loads(body)
    assert (sent["text"], sent["recipient"], sent["conversation_id"]) == (
        "已催促",
        "wx-user-9",
        "conv-3",
    )
    [delivery] = store.deliveries(ticket_id=came.ticket_id)
    assert delivery.state is DeliveryState.SENT
