"""Files kept with tickets (SQLite and PostgreSQL): the size limit refuses in one line and
writes nothing, a customer's oversized file is left out with a note, bytes and SHA-256
come back as stored."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from cstui.domain.channels import DeliveryState, NewAttachment
from cstui.domain.model import Channel, MessageKind
from cstui.errors import BadInput, NotFound
from cstui.store import SqlStore
from tests.store.inbound import mail, with_policy

PHOTO = bytes(range(256)) * 40  # 10 KB that no text codec would leave alone


def test_a_customers_files_are_kept_with_their_message(store: SqlStore) -> None:
    files = (
        NewAttachment("破损照片.jpg", "image/jpeg", PHOTO),
        NewAttachment("receipt.pdf", "application/pdf", b"%PDF-1.4 ...", inline=False),
    )
    out = store.ingest(mail(attachments=files))
    listed = store.attachments(out.ticket_id or 0)
    assert [(a.filename, a.content_type, a.size) for a in listed] == [
        ("破损照片.jpg", "image/jpeg", len(PHOTO)),
        ("receipt.pdf", "application/pdf", 12),
    ]
    assert {a.message_id for a in listed} == {out.message_id}
    meta, data = store.attachment(listed[0].id)
    assert data == PHOTO and meta.sha256 == hashlib.sha256(PHOTO).hexdigest()
    with pytest.raises(NotFound):
        store.attachment(listed[-1].id + 100)


def test_a_reply_over_the_limit_is_refused_in_one_line_and_writes_nothing(
    store: SqlStore,
) -> None:
    with_policy(store, attachment_max_bytes=1000)
    tid = store.ingest(mail()).ticket_id or 0
    store.take(tid, actor="alice")
    before = store.get_ticket(tid)
    big = NewAttachment("photo.jpg", "image/jpeg", PHOTO)
    with pytest.raises(BadInput) as refused:
        store.add_message(
            tid, actor="alice", kind=MessageKind.REPLY, text="见附件", attachments=[big]
        )
    assert "\n" not in str(refused.value) and "photo.jpg" in str(refused.value)
    after = store.get_ticket(tid)
    assert len(after.messages) == len(before.messages) and store.deliveries() == []
    small = NewAttachment("label.png", "image/png", PHOTO[:1000])  # exactly the limit
    sent = store.add_message(
        tid, actor="alice", kind=MessageKind.REPLY, text="见附件", attachments=[small]
    )
    [kept] = [a for a in store.attachments(tid) if a.message_id == sent.id]
    assert kept.size == 1000


def test_a_customers_oversized_file_is_left_out_with_a_note(store: SqlStore) -> None:
    with_policy(store, attachment_max_bytes=1000)
    files = (
        NewAttachment("big.jpg", "image/jpeg", PHOTO),
        NewAttachment("small.txt", "text/plain", b"ok"),
    )
    out = store.ingest(mail(attachments=files))
    assert [a.filename for a in store.attachments(out.ticket_id or 0)] == ["small.txt"]
    [first] = store.messages(out.ticket_id or 0)
    assert "big.jpg" in first.body and "1000" in first.body


def test_a_replys_files_go_with_its_delivery(store: SqlStore) -> None:
    from datetime import timedelta

    from cstui.domain.model import Channel

    tid = store.ingest(mail()).ticket_id or 0
    store.take(tid, actor="alice")
    files = [
        NewAttachment("label.png", "image/png", b"\x89PNG..."),
        NewAttachment("a.txt", "text/plain", b"a"),
    ]
    store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="附件", attachments=files)
    [out] = store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=timedelta(minutes=1))
    assert [store.attachment(i)[0].filename for i in out.attachment_ids] == ["label.png", "a.txt"]


def test_the_thread_carries_each_messages_files_and_each_replys_delivery(
    store: SqlStore,
) -> None:
    photo = NewAttachment("破损照片.jpg", "image/jpeg", PHOTO)
    out = store.ingest(mail(attachments=(photo,)))
    tid = out.ticket_id or 0
    store.take(tid, actor="alice")
    label = NewAttachment("label.png", "image/png", PHOTO[:500])
    first = store.add_message(
        tid, actor="alice", kind=MessageKind.REPLY, text="见附件", attachments=[label]
    )
    second = store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="还有吗")
    claimed = store.claim_deliveries(channels=[Channel.EMAIL], limit=10, lease=timedelta(minutes=5))
    [sent] = [d for d in store.deliveries(ticket_id=tid) if d.message_id == first.id]
    assert sent.id in [c.id for c in claimed]
    store.delivery_sent(sent.id)
    thread = {m.id: m for m in store.get_ticket(tid).messages}
    assert thread == {m.id: m for m in store.messages(tid)}
    customers = thread[out.message_id or 0]
    assert [(f.filename, f.size) for f in customers.attachments] == [("破损照片.jpg", len(PHOTO))]
    assert customers.delivery is None  # the acknowledgement is no reply's delivery
    assert [(f.filename, f.content_type) for f in thread[first.id].attachments] == [
        ("label.png", "image/png")
    ]
    done = thread[first.id].delivery
    assert done is not None and done.state is DeliveryState.SENT and done.sent_at is not None
    assert done.attempts == 1 and done.error is None
    waiting = thread[second.id].delivery
    assert waiting is not None and waiting.state is DeliveryState.QUEUED
    assert thread[second.id].attachments == ()
