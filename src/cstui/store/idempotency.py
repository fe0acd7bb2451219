"""Idempotency keys: a retried POST replays its first response instead of acting twice.

A request with a key claims it, acts and records its status and body in ONE transaction
(`SqlStore.run_once` opens it with `SqlStore.transaction`, which every store call made by
the action joins): the key, the effect and the response commit together or not at
all. A server killed at any instant therefore leaves either nothing (the retry runs) or the
whole (the retry gets the recorded response); there is no half-done claim to time out.

Two requests with one key at once, on one server or several: the second's claim waits on
the first's row (the primary key) and, once the first has committed, replays its answer.
A key reused for another request is bad input. Keys are forgotten after `KEEP_FOR`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, RowMapping

from cstui.errors import BadInput, CstuiError
from cstui.store.dialect import insert_for
from cstui.store.schema import IDEMPOTENCY_KEYS
from cstui.store.tx import Tx

Outcome = tuple[int, Any]  # an HTTP status and a JSON body

KEEP_FOR = timedelta(hours=24)
MAX_KEY = 128


@dataclass(frozen=True, slots=True)
class Replay:
    """The response recorded for a key: send it again, do nothing else."""

    status: int
    body: Any


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY:
        raise BadInput(f"Idempotency-Key: 1 to {MAX_KEY} characters")


def claim(
    conn: Connection, *, agent_id: int, key: str, fingerprint: str, now: datetime
) -> Replay | None:
    """Claim `key` inside the caller's transaction (None: act), or the response recorded.

    `INSERT … ON CONFLICT DO NOTHING` waits for a concurrent claim of the same key to end:
    committed, its row (with its response) is read back; rolled back, this claim wins.
    """
    conn.execute(
        delete(IDEMPOTENCY_KEYS).where(
            IDEMPOTENCY_KEYS.c.agent_id == agent_id,
            IDEMPOTENCY_KEYS.c.created_at < now - KEEP_FOR,
        )
    )
    inserted = conn.execute(_insert_new(conn, agent_id, key, fingerprint, now)).first()
    if inserted is not None:
        return None
    row = _row(conn, agent_id, key)
    assert row is not None  # it conflicted, and rows are deleted only by their own agent
    if row["fingerprint"] != fingerprint:
        raise BadInput(f"Idempotency-Key {key}: used before for another request")
    if row["status"] is None:  # a claim left by an older version of the server: act now
        return None
    return Replay(status=row["status"], body=json.loads(row["body"]))


def record(conn: Connection, *, agent_id: int, key: str, status: int, body: Any) -> None:
    """Keep the response of the request that claimed `key`, in the claim's transaction."""
    values = {"status": status, "body": json.dumps(body, ensure_ascii=False)}
    conn.execute(_where(update(IDEMPOTENCY_KEYS), agent_id, key).values(**values))


def _insert_new(conn: Connection, agent_id: int, key: str, fingerprint: str, now: datetime) -> Any:
    insert = insert_for(conn.dialect.name)
    values = {
        "agent_id": agent_id,
        "key": key,
        "fingerprint": fingerprint,
        "status": None,
        "body": None,
        "created_at": now,
    }
    new = insert(IDEMPOTENCY_KEYS).values(**values).on_conflict_do_nothing()
    return new.returning(IDEMPOTENCY_KEYS.c.key)  # a row back only when this claim inserted


def _row(conn: Connection, agent_id: int, key: str) -> RowMapping | None:
    return conn.execute(_where(select(IDEMPOTENCY_KEYS), agent_id, key)).mappings().first()


def _where(statement: Any, agent_id: int, key: str) -> Any:
    return statement.where(IDEMPOTENCY_KEYS.c.agent_id == agent_id, IDEMPOTENCY_KEYS.c.key == key)


def run_once(
    tx: Tx,
    *,
    actor: str,
    key: str,
    fingerprint: str,
    action: Callable[[], Outcome],
    refusal: Callable[[CstuiError], Outcome],
) -> tuple[Outcome, bool]:
    """`action`'s outcome, run once per key: (status, body), and whether it is a replay.

    `tx` is the transaction the action's store calls join: the claim, the action's writes
    and the recorded outcome commit together. A refusal (a 4xx `CstuiError`) undoes the
    action's writes and is recorded as `refusal(exc)`, so a retry is refused the same way
    without acting; anything else rolls the claim back too.
    """
    check_key(key)
    conn = tx.conn
    agent_id = tx.agent(actor)["id"]
    replay = claim(conn, agent_id=agent_id, key=key, fingerprint=fingerprint, now=tx.clock())
    if replay is not None:
        return (replay.status, replay.body), True
    outcome = _act(conn, action, refusal)
    record(conn, agent_id=agent_id, key=key, status=outcome[0], body=outcome[1])
    return outcome, False


def _act(
    conn: Connection, action: Callable[[], Outcome], refusal: Callable[[CstuiError], Outcome]
) -> Outcome:
    """The action in a savepoint, so that a refusal leaves nothing of it behind."""
    try:
        with conn.begin_nested():
            return action()
    except CstuiError as exc:
        if exc.http_status >= 500:
            raise
        return refusal(exc)
