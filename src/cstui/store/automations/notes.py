"""Each agent's notifications: the feed (newest first) and marking entries read."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update

from cstui.domain.automations import Notification, Urgency
from cstui.store.schema import AUTOMATION_PREDICATES, FIRINGS, NOTIFICATIONS, UtcDateTime
from cstui.store.tx import Tx

MAX_LIMIT = 500

_COLUMNS = "id, ticket_id, rule, urgency, text_key, params, created_at, read_at"
# The unread feed repeats its partial index's predicate literally (SQLite needs that).
_UNREAD = text(
    f"SELECT {_COLUMNS} FROM notifications WHERE agent_id = :a "
    f"AND {AUTOMATION_PREDICATES['unread']} ORDER BY id DESC LIMIT :n"
)
_ALL = text(f"SELECT {_COLUMNS} FROM notifications WHERE agent_id = :a ORDER BY id DESC LIMIT :n")
_BETWEEN = text(
    f"SELECT {_COLUMNS} FROM notifications WHERE agent_id = :a "
    "AND created_at >= :since AND created_at <= :until ORDER BY id LIMIT :n"
)


def notifications(tx: Tx, *, actor: str, unread_only: bool, limit: int) -> list[Notification]:
    agent_id = tx.agent(actor)["id"]
    n = max(1, min(limit, MAX_LIMIT))
    rows = tx.conn.execute(_UNREAD if unread_only else _ALL, {"a": agent_id, "n": n})
    return _decoded(tx, rows)


def notifications_between(
    tx: Tx, *, actor: str, since: datetime, until: datetime
) -> list[Notification]:
    """The actor's notifications made from `since` to `until` (both included), oldest first:
    what the sweeps that wrote a stretch of the event log told them."""
    agent_id = tx.agent(actor)["id"]
    stamp = UtcDateTime().process_bind_param
    dialect = tx.conn.dialect
    params = {"a": agent_id, "n": MAX_LIMIT}
    params |= {"since": stamp(since, dialect), "until": stamp(until, dialect)}
    return _decoded(tx, tx.conn.execute(_BETWEEN, params))


def _decoded(tx: Tx, rows: Iterable[Any]) -> list[Notification]:
    ts = UtcDateTime().process_result_value
    dialect = tx.conn.dialect
    return [
        Notification(
            id=r[0],
            ticket_id=r[1],
            rule=r[2],
            urgency=Urgency(r[3]),
            text_key=r[4],
            params=json.loads(r[5] or "{}"),
            created_at=ts(r[6], dialect),  # type: ignore[arg-type]
            read_at=ts(r[7], dialect),
        )
        for r in rows
    ]


def mark_read(tx: Tx, *, actor: str, ids: Iterable[int]) -> int:
    """Mark the actor's own notifications read (others' ids are ignored); how many changed."""
    agent_id = tx.agent(actor)["id"]
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    result = tx.conn.execute(
        update(NOTIFICATIONS)
        .where(
            NOTIFICATIONS.c.agent_id == agent_id,
            NOTIFICATIONS.c.id.in_(wanted),
            NOTIFICATIONS.c.read_at.is_(None),
        )
        .values(read_at=tx.clock())
    )
    return int(result.rowcount)


def unread_count(tx: Tx, *, actor: str) -> int:
    agent_id = tx.agent(actor)["id"]
    unread = AUTOMATION_PREDICATES["unread"]
    q = text(f"SELECT COUNT(*) FROM notifications WHERE agent_id = :a AND {unread}")
    return int(tx.conn.execute(q, {"a": agent_id}).scalar() or 0)


def fired_since(tx: Tx, *, since: datetime) -> dict[str, int]:
    """How many times each rule fired from `since` on (`ix_firings_fired` reads only those)."""
    q = (
        select(FIRINGS.c.rule, func.count())
        .where(FIRINGS.c.fired_at >= since)
        .group_by(FIRINGS.c.rule)
    )
    return {str(rule): int(n) for rule, n in tx.conn.execute(q)}
