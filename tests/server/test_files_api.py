"""Attachments and deliveries over HTTP, on a real server: the HTTP store reads what the SQL
store reads, a file is always a download, a reply's files are sent once."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import event, select

from cstui.domain.channels import AutoKind, DeliveryState, Inbound, NewAttachment
from cstui.domain.model import Channel, MessageKind
from cstui.domain.privacy import mask_recipient
from cstui.errors import BadInput, NotFound
from cstui.remote.http_store import HttpStore
from cstui.store.schema import DELIVERIES
from tests.server.conftest import Served

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
HTML = b"<html><script>alert(1)</script></html>"


def chat_ticket(served: Served) -> int:
    """A ticket from a chat conversation, owned by alice: her replies are queued for it."""
    tag = uuid.uuid4().hex[:10]
    outcome = served.store.ingest(
        Inbound(
            channel=Channel.CHAT,
            external_id=f"m-{tag}",
            sender_address=f"u-{tag}",
            sender_name="钱七",
            subject="发票",
            text="能开发票吗",
            full_text="能开发票吗",
            received_at=datetime.now(UTC),
            conversation_id=f"c-{tag}",
        )
    )
    assert outcome.ticket_id is not None
    served.store.take(outcome.ticket_id, actor="alice")
    return outcome.ticket_id


@pytest.fixture
def alice(served: Served) -> Iterator[HttpStore]:
    store = HttpStore(served.url, served.tokens["alice"])
    yield store
    store.close()


def test_a_reply_with_files_through_the_http_store_reads_back_alike(
    served: Served, alice: HttpStore
) -> None:
    tid = chat_ticket(served)
    files = [
        NewAttachment("发票.png", "image/png", PNG),
        NewAttachment("page.html", "text/html", HTML),  # the type is read from the bytes
    ]
    reply = alice.add_message(
        tid, actor="alice", kind=MessageKind.REPLY, text="发票见附件", attachments=files
    )
    sql = served.store
    assert alice.attachments(tid) == sql.attachments(tid)
    listed = alice.attachments(tid)
    assert [(a.filename, a.content_type, a.message_id) for a in listed] == [
        ("发票.png", "image/png", reply.id),
        ("page.html", "text/plain", reply.id),
    ]
    for attachment in listed:
        assert alice.attachment(attachment.id) == sql.attachment(attachment.id)
    masked = [
        replace(d, recipient=mask_recipient(d.recipient)) for d in sql.deliveries(ticket_id=tid)
    ]
    assert alice.deliveries(ticket_id=tid) == masked  # the customer's id is contact: masked
    assert all(d.recipient.startswith("u-") for d in sql.deliveries(ticket_id=tid))
    assert all("*" in d.recipient for d in alice.deliveries(ticket_id=tid))
    queued = alice.deliveries(ticket_id=tid, state=DeliveryState.QUEUED)
    assert [(d.message_id, d.state) for d in queued] == [(reply.id, DeliveryState.QUEUED)]
    assert alice.deliveries(ticket_id=tid, state=DeliveryState.FAILED) == []


def test_a_file_is_always_a_download_never_a_page(served: Served, alice: HttpStore) -> None:
    tid = chat_ticket(served)
    alice.add_message(
        tid,
        actor="alice",
        kind=MessageKind.NOTE,
        text="客户发来的网页",
        attachments=[NewAttachment('x"; evil=1 报价.html', "text/html", HTML)],
    )
    (listed,) = served.store.attachments(tid)
    with served.client("bob") as bob:  # a colleague may read the ticket's files
        response = bob.get(f"/attachments/{listed.id}")
    assert response.status_code == 200 and response.content == HTML
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="x__')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == listed.filename
    assert disposition.count(";") == 2  # the quote in the name opened no parameter
    assert "sandbox" in response.headers["content-security-policy"]


def test_no_token_unknown_ids_and_unknown_tickets(served: Served, alice: HttpStore) -> None:
    tid = chat_ticket(served)
    alice.add_message(
        tid,
        actor="alice",
        kind=MessageKind.NOTE,
        text="x",
        attachments=[NewAttachment("a.png", "image/png", PNG)],
    )
    (listed,) = served.store.attachments(tid)
    assert httpx.get(f"{served.url}/api/v1/attachments/{listed.id}").status_code == 401
    with pytest.raises(NotFound):
        alice.attachment(2_000_000_000)
    with pytest.raises(NotFound):
        alice.attachments(2_000_000_000)
    with pytest.raises(NotFound):
        alice.deliveries(ticket_id=2_000_000_000)
    with pytest.raises(BadInput):
        alice.deliveries(limit=0)


def test_every_ticket_s_deliveries_newest_first_and_by_state(
    served: Served, alice: HttpStore
) -> None:
    tid = chat_ticket(served)
    for text in ("一", "二"):
        alice.add_message(tid, actor="alice", kind=MessageKind.REPLY, text=text)
    sql = served.store
    (claimed, *_) = sql.claim_deliveries(
        channels={Channel.CHAT}, limit=100, lease=timedelta(minutes=1)
    )
    sql.delivery_failed(claimed.id, error="webhook: 410 Gone", retry_at=None)
    masked = [replace(d, recipient=mask_recipient(d.recipient)) for d in sql.deliveries()]
    assert alice.deliveries() == masked
    failed = alice.deliveries(state=DeliveryState.FAILED, limit=500)
    assert claimed.id in [d.id for d in failed]
    assert all(d.state is DeliveryState.FAILED for d in failed)


def bounce(served: Served, delivery_message_id: int) -> None:
    """The customer's side bounces the reply's mail: its delivery fails (the real path)."""
    with served.store.engine.connect() as conn:
        eid = conn.execute(
            select(DELIVERIES.c.external_id).where(DELIVERIES.c.message_id == delivery_message_id)
        ).scalar_one()
    served.store.ingest(
        Inbound(
            channel=Channel.EMAIL,
            external_id=f"<bounce-{uuid.uuid4().hex}@mx.example.cn>",
            sender_address="mailer-daemon@mx.example.cn",
            sender_name="Mail Delivery System",
            subject="Undelivered Mail Returned to Sender",
            text="550 5.1.1 user unknown",
            full_text="550 5.1.1 user unknown",
            received_at=datetime.now(UTC),
            auto=AutoKind.BOUNCE,
            bounced_id=eid,
        )
    )


def test_each_message_carries_its_delivery_and_files(served: Served, alice: HttpStore) -> None:
    tid = chat_ticket(served)
    with_file = alice.add_message(
        tid,
        actor="alice",
        kind=MessageKind.REPLY,
        text="发票见附件",
        attachments=[NewAttachment("发票.png", "image/png", PNG)],
    )
    # The reply's own answer already carries its files and its queued delivery.
    assert [f.filename for f in with_file.attachments] == ["发票.png"]
    assert with_file.delivery is not None and with_file.delivery.state is DeliveryState.QUEUED
    plain = alice.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="还有问题吗")
    note = alice.add_message(tid, actor="alice", kind=MessageKind.NOTE, text="内部备注")
    bounce(served, plain.id)
    with served.client("alice") as client:
        answer = client.get(f"/tickets/{tid}")
    assert answer.status_code == 200
    by_id = {m["id"]: m for m in answer.json()["messages"]}
    (photo,) = served.store.attachments(tid)
    assert by_id[with_file.id]["attachments"] == [
        {
            "id": photo.id,
            "filename": "发票.png",
            "content_type": "image/png",
            "size": len(PNG),
            "sha256": photo.sha256,
        }
    ]
    assert by_id[with_file.id]["delivery"] == {
        "state": "queued",
        "error": None,
        "attempts": 0,
        "sent_at": None,
    }
    failed = by_id[plain.id]["delivery"]
    assert failed["state"] == "failed" and failed["attempts"] == 0
    assert failed["error"].startswith("bounced: Undelivered Mail")
    assert by_id[plain.id]["attachments"] == []
    assert by_id[note.id]["delivery"] is None and by_id[note.id]["attachments"] == []
    customer = next(m for m in by_id.values() if m["kind"] == "customer")
    assert customer["delivery"] is None  # the acknowledgement is no reply's delivery
    # The HTTP store decodes them into the same messages the SQL store reads.
    assert alice.get_ticket(tid).messages == served.store.get_ticket(tid).messages
    thread = {m.id: m for m in served.store.messages(tid)}
    assert thread[plain.id].delivery is not None
    assert thread[plain.id].delivery.state is DeliveryState.FAILED


def test_a_thread_is_read_in_the_same_few_queries_however_long(served: Served) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def reads(replies: int) -> int:
        tid = chat_ticket(served)
        for n in range(replies):
            files = [NewAttachment(f"{n}.png", "image/png", PNG)]
            served.store.add_message(
                tid, actor="alice", kind=MessageKind.REPLY, text=f"第{n}条", attachments=files
            )
        statements.clear()
        served.store.messages(tid)
        return len(statements)

    event.listen(served.store.engine, "before_cursor_execute", count)
    try:
        few, many = reads(1), reads(12)
    finally:
        event.remove(served.store.engine, "before_cursor_execute", count)
    assert few == many, statements


def test_files_of_a_retried_reply_are_stored_once(served: Served) -> None:
    tid = chat_ticket(served)
    body = {
        "kind": "reply",
        "text": "见附件",
        "attachments": [{"name": "a.png", "content_base64": base64.b64encode(PNG).decode()}],
    }
    headers = {"Idempotency-Key": f"retry-{tid}"}
    with served.client("alice") as client:
        first = client.post(f"/tickets/{tid}/messages", json=body, headers=headers)
        again = client.post(f"/tickets/{tid}/messages", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(served.store.attachments(tid)) == 1
    assert len(served.store.deliveries(ticket_id=tid)) == 1


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ([{"name": "a.png", "content_base64": "not base64!"}], "base64"),
        (
            [
                {
                    "name": "a.png",
                    "content_base64": base64.b64encode(b"x" * (20 * 2**20 + 1)).decode(),
                }
            ],
            "over",
        ),
        ([{"name": "a.png", "content_base64": ""}], "content_base64"),
        ([{"name": "a.png"}], "content_base64"),
        ([{"name": "a.png", "content_base64": "QQ==", "path": "/etc/passwd"}], "path"),
    ],
)
def test_a_bad_file_refuses_the_whole_reply(
    served: Served, files: list[dict[str, str]], problem: str
) -> None:
    tid = chat_ticket(served)
    before = served.store.last_event_id()
    with served.client("alice") as client:
        response = client.post(
            f"/tickets/{tid}/messages", json={"kind": "reply", "text": "x", "attachments": files}
        )
    assert response.status_code == 422 and problem in response.json()["error"]
    assert served.store.last_event_id() == before
    assert served.store.attachments(tid) == []
