"""Exactly once across crashes: `cstui serve` killed mid-write, every request retried.

The server is killed (SIGKILL) again and again while three agents send replies and
escalations, each with its Idempotency-Key: half of the kills come right after a request's
transaction committed and before its answer left (the fault hook in `tests.crash`), the
rest at random instants. Each restart's clock is two minutes later, past the 60 s after
which a half-done claim used to be taken over. Every request is retried until answered;
the store must then hold each reply and each escalation exactly once, and every answer
must name the one that was stored. `bench/crash_retry.py` runs the same with 50 kills.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cstui.store import init_store
from cstui.store.sql import SqlStore
from tests.conftest import pg_database
from tests.crash import Server, Tally, Work, hammer, prepare

pytestmark = pytest.mark.slow

KILLS = 10
BASE_NOW = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "crash.db")
        return
    with pg_database(f"cstui_test_crash_{os.getpid()}") as url:
        yield url


def test_killed_servers_act_once_per_key(target: str) -> None:
    store = init_store(target, clock=lambda: BASE_NOW)
    tokens, work = prepare(store, tickets_per_agent=8, replies_per_ticket=10)
    tally = hammer(tokens, work, Server(target, base_now=BASE_NOW, crash_rate=0.08), kills=KILLS)
    assert tally.kills >= KILLS and tally.kills_after_commit > 0, tally
    assert tally.attempts > len(work)  # some requests really were retried
    assert_each_acted_once(store, work, tally)
    store.close()


def assert_each_acted_once(store: SqlStore, work: list[Work], tally: Tally) -> None:
    assert set(tally.answers) == {w.key for w in work}
    tickets = {int(w.path.split("/")[2]) for w in work}
    replies = Counter[str]()
    reasons = Counter[str]()
    stored_ids: dict[str, int] = {}
    for ticket_id in tickets:
        for message in store.messages(ticket_id):
            replies[message.body] += 1
            stored_ids[message.body] = message.id
        for escalation in store.get_ticket(ticket_id, with_messages=False).escalations:
            reasons[escalation.reason] += 1
            stored_ids[escalation.reason] = escalation.id
    for item in work:
        text = item.body.get("text") or item.body["reason"]
        counts = replies if "text" in item.body else reasons
        assert counts[text] == 1, f"{item.key}: acted {counts[text]} times"
        assert tally.answers[item.key]["id"] == stored_ids[text]
