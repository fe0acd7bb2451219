"""Files kept with a ticket: in the database on both backends (every server sharing the
store serves them; a backup holds them), each with its size and SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.engine import RowMapping

from cstui.domain.channels import Attachment, NewAttachment
from cstui.errors import BadInput, NotFound
from cstui.store.schema import ATTACHMENTS
from cstui.store.tx import Tx

_COLUMNS = [c for c in ATTACHMENTS.c if c.name != "data"]


def check_sizes(tx: Tx, files: Sequence[NewAttachment]) -> None:
    """BadInput (one line) for the first file over the configured limit, or an empty one."""
    limit = tx.rules.channels.attachment_max_bytes
    for f in files:
        if len(f.data) > limit:
            raise BadInput(
                f"attachment {f.filename!r}: {len(f.data)} bytes, over the limit of {limit}"
            )
        if not f.filename.strip():
            raise BadInput("attachment: a file needs a name")


def oversized(tx: Tx, files: Sequence[NewAttachment]) -> list[NewAttachment]:
    limit = tx.rules.channels.attachment_max_bytes
    return [f for f in files if len(f.data) > limit]


def add_attachments(
    tx: Tx, *, ticket_id: int, message_id: int | None, files: Sequence[NewAttachment]
) -> list[int]:
    """Keep the files with the ticket (sizes checked: `check_sizes`); their ids."""
    check_sizes(tx, files)
    now = tx.clock()
    return [
        tx.insert(
            ATTACHMENTS,
            {
                "ticket_id": ticket_id,
                "message_id": message_id,
                "filename": f.filename,
                "content_type": f.content_type[:128],
                "size": len(f.data),
                "sha256": hashlib.sha256(f.data).hexdigest(),
                "data": f.data,
                "created_at": now,
            },
        )
        for f in files
    ]


def attachments(tx: Tx, *, ticket_id: int) -> list[Attachment]:
    """The ticket's files, oldest first (without their bytes)."""
    q = select(*_COLUMNS).where(ATTACHMENTS.c.ticket_id == ticket_id).order_by(ATTACHMENTS.c.id)
    return [_attachment(r) for r in tx.conn.execute(q).mappings()]


def attachment(tx: Tx, *, attachment_id: int) -> tuple[Attachment, bytes]:
    """One file with its bytes."""
    q = select(ATTACHMENTS).where(ATTACHMENTS.c.id == attachment_id)
    row = tx.conn.execute(q).mappings().first()
    if row is None:
        raise NotFound(f"attachment {attachment_id}: no such attachment")
    return _attachment(row), bytes(row["data"])


def _attachment(r: RowMapping) -> Attachment:
    return Attachment(
        id=r["id"],
        ticket_id=r["ticket_id"],
        message_id=r["message_id"],
        filename=r["filename"],
        content_type=r["content_type"],
        size=r["size"],
        sha256=r["sha256"],
        created_at=r["created_at"],
    )
