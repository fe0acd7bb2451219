"""Idempotency keys: a retried POST replays its first response instead of acting twice.

A request with a key first claims it (one INSERT; the primary key makes two claims of one
key impossible, across every server process on the database), runs, then records its
status and body. A retry with the same key and the same request gets that response back;
the same key with another request is bad input; a retry while the first is still running
is a conflict (try again shortly). A claim whose request died without an answer is taken
over after `STALE_CLAIM`, and keys are forgotten after `KEEP_FOR`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from cstui.errors import BadInput, Conflict
from cstui.store.schema import IDEMPOTENCY_KEYS

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore

STALE_CLAIM = timedelta(seconds=60)
KEEP_FOR = timedelta(hours=24)
MAX_KEY = 128


@dataclass(frozen=True, slots=True)
class Replay:
    """The response recorded for a key: send it again, do nothing else."""

    status: int
    body: Any


class KeyInProgress(Conflict):
    """The first request with this key has not answered yet."""


def claim(store: SqlStore, *, actor: str, key: str, fingerprint: str) -> Replay | None:
    """Claim `key` for this request (None: run it), or the response recorded for it."""
    if not key or len(key) > MAX_KEY:
        raise BadInput(f"Idempotency-Key: 1 to {MAX_KEY} characters")
    for _ in range(3):
        try:
            return _claim_once(store, actor, key, fingerprint)
        except KeyInProgress:
            raise
        except Conflict:  # another process inserted the same key between our read and write
            continue
    raise KeyInProgress(f"Idempotency-Key {key}: a request with this key is still running")


def _claim_once(store: SqlStore, actor: str, key: str, fingerprint: str) -> Replay | None:
    now = store.clock()
    with store._write() as conn:
        agent_id = store._agent_row(conn, actor)["id"]
        conn.execute(
            delete(IDEMPOTENCY_KEYS).where(
                IDEMPOTENCY_KEYS.c.agent_id == agent_id,
                IDEMPOTENCY_KEYS.c.created_at < now - KEEP_FOR,
            )
        )
        row = _row(conn, agent_id, key)
        if row is None:
            conn.execute(insert(IDEMPOTENCY_KEYS), _claim_values(agent_id, key, fingerprint, now))
            return None
        if row["fingerprint"] != fingerprint:
            raise BadInput(f"Idempotency-Key {key}: used before for another request")
        if row["status"] is not None:
            return Replay(status=row["status"], body=json.loads(row["body"]))
        if now - row["created_at"] < STALE_CLAIM:
            raise KeyInProgress(f"Idempotency-Key {key}: a request with this key is still running")
        conn.execute(_where(update(IDEMPOTENCY_KEYS), agent_id, key).values(created_at=now))
        return None


def record(store: SqlStore, *, actor: str, key: str, status: int, body: Any) -> None:
    """Keep the response of the request that claimed `key`."""
    with store._write() as conn:
        agent_id = store._agent_row(conn, actor)["id"]
        values = {"status": status, "body": json.dumps(body, ensure_ascii=False)}
        conn.execute(_where(update(IDEMPOTENCY_KEYS), agent_id, key).values(**values))


def release(store: SqlStore, *, actor: str, key: str) -> None:
    """Forget a claim whose request failed without an answer worth replaying (a 5xx)."""
    with store._write() as conn:
        agent_id = store._agent_row(conn, actor)["id"]
        conn.execute(
            _where(delete(IDEMPOTENCY_KEYS), agent_id, key).where(
                IDEMPOTENCY_KEYS.c.status.is_(None)
            )
        )


def _row(conn: Connection, agent_id: int, key: str) -> RowMapping | None:
    return conn.execute(_where(select(IDEMPOTENCY_KEYS), agent_id, key)).mappings().first()


def _where(statement: Any, agent_id: int, key: str) -> Any:
    return statement.where(IDEMPOTENCY_KEYS.c.agent_id == agent_id, IDEMPOTENCY_KEYS.c.key == key)


def _claim_values(agent_id: int, key: str, fingerprint: str, now: datetime) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "key": key,
        "fingerprint": fingerprint,
        "status": None,
        "body": None,
        "created_at": now,
    }
