"""Where each polled mailbox is: its IMAP UIDVALIDITY and the last UID ingested.

The poller saves the cursor in the transaction that ingests the message (or right after
it): a UID is never passed before its message is stored, and re-reading one is harmless
(the message's id makes the second copy a duplicate).
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

from cstui.errors import BadInput
from cstui.store.schema import MAILBOX_CURSORS
from cstui.store.tx import Tx


def mailbox_cursor(tx: Tx, *, name: str) -> tuple[int, int] | None:
    """(uidvalidity, last_uid) of the mailbox, or None before its first poll."""
    row = tx.conn.execute(
        select(MAILBOX_CURSORS.c.uidvalidity, MAILBOX_CURSORS.c.last_uid).where(
            MAILBOX_CURSORS.c.name == name
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else None


def save_mailbox_cursor(tx: Tx, *, name: str, uidvalidity: int, last_uid: int) -> None:
    if uidvalidity < 0 or last_uid < 0:
        raise BadInput("mailbox cursor: UIDVALIDITY and UID are not negative")
    values = {"uidvalidity": uidvalidity, "last_uid": last_uid, "updated_at": tx.clock()}
    done = tx.conn.execute(
        update(MAILBOX_CURSORS).where(MAILBOX_CURSORS.c.name == name).values(**values)
    )
    if done.rowcount == 0:
        tx.conn.execute(insert(MAILBOX_CURSORS).values(name=name, **values))
