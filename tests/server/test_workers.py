"""The documented deployment: `cstui serve --workers 3` on PostgreSQL, real processes.

The store contract's tests run through it (each test on an emptied database, its calls
spread over the workers by the kernel), except those that move the test's clock: the
served processes keep real time. Then what several workers must agree on: a ticket taken
through one is owned for all, an Idempotency-Key replays whichever worker gets the retry,
the live feed carries writes made through any worker, and `/metrics` adds up every
worker's requests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cstui.domain.model import EventKind, MessageKind
from cstui.server.factory import FACTORY
from cstui.store import init_store
from tests.cli.test_web import free_port
from tests.conftest import _reset_pg, assert_the_log_decodes, pg_database
from tests.processes import CstuiProcess, wait_for
from tests.serving import TeamHttpStore, add_team
from tests.store.test_contract import (  # noqa: F401  (collected here, on this module's store)
    TestLogAndTransfer,
    TestMessagesAndSla,
    TestOwnership,
    TestViews,
    new_ticket,
    test_a_colleague_may_add_a_note_but_not_reply,
    test_a_reveal_is_for_the_owner_of_the_customers_ticket_and_a_refusal_is_logged,
    test_a_tickets_owner_is_one_read,
    test_complaints_follow_ups_and_the_green_channel_are_the_owners,
    test_reveal_is_recorded,
    test_search_by_filters_and_subject_words,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WORKERS = 3
TOKENS: dict[str, str] = {}  # the current test's team: name → token


class Workers:
    """`cstui serve --workers N --port 0` on a database, its URL read from what it says."""

    def __init__(self, db: str) -> None:
        self.db = db
        args = ["serve", "--db", db, "--port", "0", "--workers", str(WORKERS)]
        self.process = CstuiProcess([*args, "--log-level", "info"], {})
        line = wait_for(
            lambda: next((x for x in self.process.lines if "listening on" in x), None),
            timeout=30,
            what="the server's address",
        )
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert found, line
        self.url = found.group(0)
        wait_for(self._ready, timeout=60, what="the workers to be ready")

    def _ready(self) -> bool:
        return _ready(self.url)

    def worker_pids(self) -> set[int]:
        """The worker processes uvicorn reported starting."""
        lines = "".join(self.process.lines)
        return {int(p) for p in re.findall(r"Started server process \[(\d+)\]", lines)}


@pytest.fixture(scope="module")
def served_db() -> Iterator[str]:
    with pg_database(f"cstui_workers_{os.getpid()}") as url:
        init_store(url).close()
        yield url


@pytest.fixture(scope="module")
def workers(served_db: str) -> Iterator[Workers]:
    server = Workers(served_db)
    yield server
    server.process.stop()
    assert server.process.proc.returncode == 0, "".join(server.process.lines)


@pytest.fixture
def store(request: pytest.FixtureRequest, workers: Workers) -> Iterator[Any]:
    """The contract's store, over HTTP through the workers, on an emptied database."""
    if "clock" in request.fixturenames:
        pytest.skip("moves the test's clock: the served processes keep real time")
    _reset_pg(workers.db)
    backing = init_store(workers.db)
    TOKENS.clear()
    TOKENS.update(add_team(backing))
    team = TeamHttpStore(workers.url, dict(TOKENS))
    yield team
    team.close()
    assert_the_log_decodes(backing)
    backing.close()


def test_the_workers_are_separate_processes(workers: Workers) -> None:
    wait_for(lambda: len(workers.worker_pids()) == WORKERS, timeout=30, what="every worker")
    assert workers.process.proc.pid not in workers.worker_pids()


def test_an_idempotent_retry_replays_through_any_worker(store: TeamHttpStore) -> None:
    tid = new_ticket(store)
    store.take(tid, actor="alice")
    headers = {"Authorization": f"Bearer {TOKENS['alice']}", "Idempotency-Key": "retry-1"}
    body = {"kind": "reply", "text": "已为您加急处理"}
    url = f"{store.url}/api/v1/tickets/{tid}/messages"
    # A fresh connection for each: the kernel spreads them over the workers.
    answers = [httpx.post(url, json=body, headers=headers, timeout=10) for _ in range(6)]
    assert len({a.status_code for a in answers}) == 1 and answers[0].is_success
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 5
    replies = [m for m in store.get_ticket(tid).messages if m.kind is MessageKind.REPLY]
    assert len(replies) == 1


def test_the_live_feed_carries_writes_made_through_other_workers(store: TeamHttpStore) -> None:
    tid = new_ticket(store)
    headers = {"Authorization": f"Bearer {TOKENS['sue']}"}
    with httpx.stream(
        "GET", f"{store.url}/api/v1/events", params={"after": 0}, headers=headers, timeout=30
    ) as feed:
        for n in range(4):  # new connections, served by whichever worker
            store.add_message(tid, actor="ops", kind=MessageKind.NOTE, text=f"note {n}")
        notes = []
        for line in feed.iter_lines():
            if line == f"event: {EventKind.NOTE.value}":
                notes.append(line)
                if len(notes) == 4:
                    break
    assert len(notes) == 4


def test_metrics_add_up_every_workers_requests(workers: Workers) -> None:
    for _ in range(30):  # fresh connections: spread over the workers
        assert httpx.get(f"{workers.url}/healthz", timeout=5).status_code == 200

    def healthz_count() -> float:
        text = httpx.get(f"{workers.url}/metrics", timeout=5).text
        found = re.search(
            r'cstui_http_request_duration_seconds_count\{method="GET",route="/healthz",'
            r'status="200"\} (\S+)',
            text,
        )
        return float(found.group(1)) if found else 0.0

    # Every scrape, whichever worker answers it, counts all 30 (and the readiness polls).
    counts = {healthz_count() for _ in range(6)}
    assert len(counts) == 1 and counts.pop() >= 30


def test_uvicorn_serves_the_factory_on_the_configured_store(served_db: str) -> None:
    """The documented alternative: uvicorn itself, the store from `CSTUI_DB`."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", FACTORY, "--port", str(port)]
    env = {**os.environ, "CSTUI_DB": served_db, "CSTUI_SERVER__POOL_SIZE": "2"}
    server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url), timeout=60, what="uvicorn")
        answer = httpx.get(f"{url}/readyz", headers={"X-Request-ID": "via-uvicorn"})
        assert answer.headers["x-request-id"] == "via-uvicorn"  # the access-log wrapper too
        assert "cstui_store_up 1.0" in httpx.get(f"{url}/metrics").text
    finally:
        server.terminate()
        server.wait(15)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
