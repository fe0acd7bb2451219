"""Export and import carry the channels' data: messages' ids, addresses and originals,
conversations, the outbox, files (bytes as base64) and mailbox cursors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from cstui.domain.channels import NewAttachment
from cstui.domain.model import Channel, MessageKind
from cstui.errors import BadInput
from cstui.store import SqlStore, init_store
from tests.store.inbound import chat, mail

PHOTO = bytes(range(256)) * 3


def _through_json(store: SqlStore) -> list[tuple[int, dict[str, object]]]:
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in store.export_records()]
    return [(n, json.loads(line)) for n, line in enumerate(lines, start=1)]


def test_a_store_with_mail_chat_and_an_outbox_round_trips(store: SqlStore, tmp_path: Path) -> None:
    first = mail(attachments=(NewAttachment("p.jpg", "image/jpeg", PHOTO),))
    tid = store.ingest(first).ticket_id
    store.ingest(chat("wx-1", "conv-1", "在吗"))
    store.take(tid or 0, actor="alice")
    store.add_message(tid or 0, actor="alice", kind=MessageKind.REPLY, text="您好")
    store.claim_deliveries(channels=[Channel.EMAIL], limit=1, lease=timedelta(minutes=1))
    store.save_mailbox_cursor("support", uidvalidity=9, last_uid=77)
    records = _through_json(store)
    types = {r["type"] for _, r in records}
    assert {"conversation", "delivery", "attachment", "mailbox_cursor"} <= types
    copy = init_store(str(tmp_path / "copy.db"))
    try:
        copy.import_records(records)
        assert _through_json(copy) == records
        [kept] = copy.attachments(tid or 0)
        assert copy.attachment(kept.id)[1] == PHOTO
        assert copy.mailbox_cursor("support") == (9, 77)
        assert copy.ingest(first).duplicate  # the imported mail is still known by its id
    finally:
        copy.close()


def test_bytes_that_are_not_base64_are_refused_by_line(store: SqlStore) -> None:
    from cstui.store.transfer import validate

    line = {
        "type": "attachment",
        "id": 1,
        "ticket_id": 1,
        "filename": "x",
        "content_type": "text/plain",
        "size": 1,
        "sha256": "0" * 64,
        "data": "not base64!",
        "created_at": "2026-11-20T01:00:00+00:00",
    }
    with pytest.raises(BadInput, match="line 3: data: expected base64"):
        validate(3, line)
