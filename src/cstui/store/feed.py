"""The event log read back: a page of events after an id, the log's end, a window's events.

A server streams `GET /events` from here and resumes from `Last-Event-ID`. It reads the
shared log, not a server's memory, so every server process on one PostgreSQL database sees
every write, whichever process made it. Each function is one read; the store pages through
the log with them (`SqlStore.events`, `SqlStore.window_events`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text

from cstui.domain.model import Event
from cstui.store import rows as R
from cstui.store.schema import EVENTS
from cstui.store.tx import Tx


def last_event_id(tx: Tx) -> int:
    """The newest event's id (0 for an empty log): where a live feed starts."""
    return int(tx.conn.execute(select(func.max(EVENTS.c.id))).scalar() or 0)


def events_after(
    tx: Tx,
    *,
    after: int,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    ticket_id: int | None = None,
) -> list[Event]:
    """Up to `limit` events with an id above `after`, oldest first (one keyset page)."""
    conds = ["id > :after"]
    params: dict[str, Any] = {"n": limit, "after": after}
    for name, value, cond in (
        ("since", since, "at >= :since"),
        ("until", until, "at < :until"),
        ("ticket", ticket_id, "ticket_id = :ticket"),
    ):
        if value is not None:
            conds.append(cond)
            params[name] = value
    sql = f"SELECT {R.EVENT_COLUMNS} FROM events WHERE {' AND '.join(conds)} ORDER BY id LIMIT :n"
    timed = [bindparam(p, type_=EVENTS.c.at.type) for p in ("since", "until") if p in params]
    query = text(sql).bindparams(*timed) if timed else text(sql)
    return [R.event_from_row(r) for r in tx.conn.execute(query, params)]


_WINDOW_TICKETS = text(
    "SELECT DISTINCT ticket_id FROM events WHERE at >= :since AND at < :until "
    "AND ticket_id IS NOT NULL"
).bindparams(*(bindparam(p, type_=EVENTS.c.at.type) for p in ("since", "until")))
_OF_TICKETS = text(
    f"SELECT {R.EVENT_COLUMNS} FROM events WHERE ticket_id IN :ids ORDER BY ticket_id, id"
).bindparams(bindparam("ids", expanding=True))


def window_tickets(tx: Tx, *, since: datetime, until: datetime) -> list[int]:
    """The tickets with an event in [since, until), in id order (the `at` index)."""
    return sorted(r[0] for r in tx.conn.execute(_WINDOW_TICKETS, {"since": since, "until": until}))


def events_of(tx: Tx, *, ticket_ids: list[int]) -> list[Event]:
    """Every event of these tickets, grouped by ticket, each ticket's in id order."""
    return [R.event_from_row(r) for r in tx.conn.execute(_OF_TICKETS, {"ids": ticket_ids})]
