"""The tickets' search index, kept in the same transaction as every write that changes it.

Each ticket is one entry of three fields, cut into tokens like the knowledge base
(`search.segment`: CJK bigrams, words; a separator token between values so that no phrase
spans two):

- `ids`: the ticket id, its order and tracking numbers, the customer's phone and the
  phone's last four digits (what a customer reads out on the phone);
- `head`: the subject and the customer's name;
- `body`: every message of the thread (customer, replies, internal notes), in order.

SQLite: `ticket_fts(ids, head, body)`, a contentless FTS5 table (rowid = ticket id) with
the `ascii` tokenizer, which splits the pre-cut text exactly at its spaces. An entry is
replaced by deleting it with the very tokens it was inserted with (FTS5's 'delete'); the
cut is deterministic, so the old entry is cut again from what the ticket held before the
change (`TicketDoc.read` before the write). Subjects, names, phones and orders never
change once written, and messages are only ever appended.

PostgreSQL: `ticket_search(ticket_id, ids, head, doc)`, tsvectors under GIN indexes; `head`
holds ids and head, `doc` all three, so each tier of a search is one `@@`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from cstui.search.segment import SEPARATOR, tags_text
from cstui.store.tsvector import tsvector_literal

FTS5_TABLE = (
    "CREATE VIRTUAL TABLE ticket_fts USING fts5("
    "ids, head, body, content='', columnsize=0, tokenize='ascii')"
)
_NOT_DIGIT = re.compile(r"\D")
BACKFILL_BATCH = 2_000


@dataclass(frozen=True, slots=True)
class TicketDoc:
    """A ticket as the index sees it: its three fields as space-separated tokens."""

    id: int
    ids: str
    head: str
    body: str

    @classmethod
    def cut(
        cls,
        ticket_id: int,
        *,
        subject: str,
        customer_name: str,
        phone: str | None,
        order_number: str | None,
        tracking_no: str | None,
        bodies: Iterable[str],
    ) -> TicketDoc:
        return cls(
            ticket_id,
            ids_text(ticket_id, order_number, tracking_no, phone),
            head_text(subject, customer_name),
            tags_text(bodies),
        )

    @classmethod
    def read(cls, conn: Connection, ticket_id: int) -> TicketDoc:
        """The ticket's entry as its rows hold it now (within the caller's transaction)."""
        return next(iter(_read_docs(conn, ticket_id, ticket_id)))

    def with_message(self, body: str) -> TicketDoc:
        """This entry with one more message at the end of the thread."""
        more = tags_text([body])
        joined = f"{self.body} {SEPARATOR} {more}" if self.body and more else self.body or more
        return TicketDoc(self.id, self.ids, self.head, joined)

    def pg_values(self) -> dict[str, Any]:
        ids, head, body = self.ids.split(), self.head.split(), self.body.split()
        return {
            "id": self.id,
            "ids": tsvector_literal([("A", ids)]),
            "head": tsvector_literal([("A", ids), ("B", head)]),
            "doc": tsvector_literal([("A", ids), ("B", head), ("D", body)]),
        }


def ids_text(
    ticket_id: int, order_number: str | None, tracking_no: str | None, phone: str | None
) -> str:
    """The identifiers as index text: the phone as digits, and its last four alone."""
    digits = _NOT_DIGIT.sub("", phone or "")
    idents = [str(ticket_id), order_number, tracking_no, digits, digits[-4:]]
    return tags_text(i for i in idents if i)


def head_text(subject: str, customer_name: str) -> str:
    return tags_text([subject, customer_name])


_DOC_SQL = (
    "SELECT t.id, t.subject, c.name, c.phone, o.number, o.tracking_no FROM tickets t "
    "JOIN customers c ON c.id = t.customer_id LEFT JOIN orders o ON o.id = t.order_id "
    "WHERE t.id {where} ORDER BY t.id"
)
_BODIES_SQL = "SELECT ticket_id, body FROM messages WHERE ticket_id {where} ORDER BY ticket_id, id"


def _read_docs(conn: Connection, lo: int, hi: int) -> Iterator[TicketDoc]:
    """The entries of tickets lo..hi."""
    return _docs_where(conn, f"BETWEEN {int(lo)} AND {int(hi)}")


def _docs_where(conn: Connection, where: str) -> Iterator[TicketDoc]:
    """The entries of the tickets whose id is `where` (SQL made here from integers only),
    read and cut, messages in the order they came."""
    bodies: dict[int, list[str]] = {}
    for tid, body in conn.exec_driver_sql(_BODIES_SQL.format(where=where)):
        bodies.setdefault(tid, []).append(body)
    for tid, subject, name, phone, number, tracking in conn.exec_driver_sql(
        _DOC_SQL.format(where=where)
    ):
        yield TicketDoc.cut(
            tid,
            subject=subject,
            customer_name=name,
            phone=phone,
            order_number=number,
            tracking_no=tracking,
            bodies=bodies.get(tid, ()),
        )


# -- writing -------------------------------------------------------------------------------


def insert(conn: Connection, docs: Sequence[TicketDoc]) -> None:
    """Add new entries (new tickets, a backfill)."""
    if not docs:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "INSERT INTO ticket_fts (rowid, ids, head, body) VALUES (?, ?, ?, ?)",
            [(d.id, d.ids, d.head, d.body) for d in docs],
        )
        return
    conn.execute(
        text(
            "INSERT INTO ticket_search (ticket_id, ids, head, doc) VALUES (:id, "
            "CAST(:ids AS tsvector), CAST(:head AS tsvector), CAST(:doc AS tsvector))"
        ),
        [d.pg_values() for d in docs],
    )


def replace(conn: Connection, old: TicketDoc, new: TicketDoc) -> None:
    """Swap a ticket's entry for its new one (`old` exactly as it was inserted)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "INSERT INTO ticket_fts (ticket_fts, rowid, ids, head, body) "
            "VALUES ('delete', ?, ?, ?, ?)",
            (old.id, old.ids, old.head, old.body),
        )
        insert(conn, [new])
        return
    conn.execute(
        text(
            "UPDATE ticket_search SET ids = CAST(:ids AS tsvector), "
            "head = CAST(:head AS tsvector), doc = CAST(:doc AS tsvector) WHERE ticket_id = :id"
        ),
        new.pg_values(),
    )


def index_ticket(conn: Connection, ticket_id: int) -> None:
    """Index a ticket just written (its row and first message are in this transaction)."""
    insert(conn, [TicketDoc.read(conn, ticket_id)])


def add_message(conn: Connection, ticket_id: int, body: str) -> None:
    """Index a message about to be added: call before inserting it, in the same transaction."""
    old = TicketDoc.read(conn, ticket_id)
    replace(conn, old, old.with_message(body))


def backfill(conn: Connection, batch: int = BACKFILL_BATCH) -> int:
    """Index every ticket (a migration over an existing store); returns how many."""
    top = conn.execute(text("SELECT max(id) FROM tickets")).scalar() or 0
    done = 0
    for lo in range(1, top + 1, batch):
        docs = list(_read_docs(conn, lo, lo + batch - 1))
        insert(conn, docs)
        done += len(docs)
    return done


def index_tickets(conn: Connection, ids: Sequence[int], batch: int = BACKFILL_BATCH) -> None:
    """Index tickets written in bulk (an import), `batch` at a time."""
    for i in range(0, len(ids), batch):
        id_list = ",".join(str(int(t)) for t in ids[i : i + batch])
        insert(conn, list(_docs_where(conn, f"IN ({id_list})")))


def clear(conn: Connection) -> None:
    """Empty the index (an import replaces every ticket)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO ticket_fts (ticket_fts) VALUES ('delete-all')")
    else:
        conn.execute(text("DELETE FROM ticket_search"))
