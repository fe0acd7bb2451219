"""The event log as a feed: events after an id, for live updates and remote readers.

A server streams `GET /events` from here and resumes from `Last-Event-ID`. It reads the
shared log, not a server's memory, so every server process on one PostgreSQL database sees
every write, whichever process made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, text

from cstui.domain.model import Event
from cstui.store import rows as R
from cstui.store.schema import EVENTS

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore


def last_event_id(store: SqlStore) -> int:
    """The newest event's id (0 for an empty log): where a live feed starts."""
    with store._read() as conn:
        return int(conn.execute(select(func.max(EVENTS.c.id))).scalar() or 0)


def events_after(
    store: SqlStore,
    after: int,
    *,
    limit: int = 500,
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
    with store._read() as conn:
        return [R.event_from_row(r) for r in conn.execute(query, params)]
