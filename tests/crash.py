"""Killing `cstui serve` in the middle of writes, and retrying every unanswered request.

`python -m tests.crash serve …` is `cstui serve` with a fault hook: with probability
`CSTUI_TEST_CRASH_RATE`, right after an idempotent request's transaction has committed and
before its answer is sent, the process kills itself (SIGKILL), the worst instant for
exactly-once. `hammer` adds kills from outside at random instants, restarts the server on
the same port with its clock moved on past any "stale claim" window, and has clients
retry each request with its key until it is answered. The test and `bench/crash_retry.py`
then count what the store holds: one reply and one escalation per key.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from cstui.domain.model import Category, Channel, Department
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.sql import SqlStore
from tests.serving import add_team, loopback_socket

CRASH_RATE_ENV = "CSTUI_TEST_CRASH_RATE"
ROUND_CLOCK_STEP = timedelta(minutes=2)  # each restart's clock: past a 60 s stale window
START_SECONDS = 60
AGENTS = ("alice", "bob", "carol")


def install_crash_hook(rate: float, seed: int) -> None:
    """Kill this process after a fresh idempotent commit, before the response leaves."""
    from cstui.store import idempotency

    rng = random.Random(seed)

    def crash_now() -> None:
        if rng.random() < rate:
            os.kill(os.getpid(), signal.SIGKILL)

    if hasattr(SqlStore, "run_once"):  # the store's entry point: it returns once committed
        run_once = SqlStore.run_once

        def crashing_run(self: SqlStore, *args: Any, **kwargs: Any) -> Any:
            outcome = run_once(self, *args, **kwargs)
            if not outcome[1]:
                crash_now()
            return outcome

        SqlStore.run_once = crashing_run  # type: ignore[method-assign]
        return
    if not hasattr(idempotency, "run_once"):
        # An earlier version (bench baselines): the effect committed, its answer not yet kept.
        record = idempotency.record

        def crash_then_record(*args: Any, **kwargs: Any) -> Any:
            crash_now()
            return record(*args, **kwargs)

        idempotency.record = crash_then_record
        return
    original = idempotency.run_once

    def crashing(*args: Any, **kwargs: Any) -> Any:
        outcome = original(*args, **kwargs)
        if not outcome[1]:
            crash_now()
        return outcome

    idempotency.run_once = crashing


@dataclass(frozen=True)
class Work:
    """One request a client must get answered: its key makes every retry the same."""

    agent: str
    path: str
    body: dict[str, Any]
    key: str


@dataclass
class Tally:
    kills_after_commit: int = 0  # the fault hook: committed, not answered
    kills_from_outside: int = 0  # SIGKILL at a random instant
    attempts: int = 0
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → answered body

    @property
    def kills(self) -> int:
        return self.kills_after_commit + self.kills_from_outside


def prepare(
    store: SqlStore, *, tickets_per_agent: int, replies_per_ticket: int
) -> tuple[dict[str, str], list[Work]]:
    """A team whose agents own tickets (name → token), and the requests they will send."""
    tokens = add_team(store)
    work: list[Work] = []
    for agent in AGENTS:
        for t in range(tickets_per_agent):
            # One customer each: a returning customer would be routed to their last owner.
            customer = store.add_customer(NewCustomer(f"王芳{agent}{t}"))
            new = NewTicket(customer.id, "破损", "收到的杯子碎了", Channel.CHAT, Category.REPAIR)
            ticket = store.create_ticket(new).id
            store.take(ticket, actor=agent)
            for r in range(replies_per_ticket):
                text = f"reply {agent}-{t}-{r}"
                body = {"kind": "reply", "text": text}
                work.append(Work(agent, f"/tickets/{ticket}/messages", body, f"m-{ticket}-{r}"))
            reason = f"escalation {agent}-{t}"
            body = {"department": Department.WAREHOUSE.value, "reason": reason, "green": False}
            work.append(Work(agent, f"/tickets/{ticket}/escalations", body, f"e-{ticket}"))
    random.Random(7).shuffle(work)
    return tokens, work


class Server:
    """The crashing server, restarted on one port with a later clock each time."""

    def __init__(
        self, db: str, *, base_now: datetime, crash_rate: float, src: str | None = None
    ) -> None:
        """`src`: run the server from another checkout's `src` (a baseline to compare)."""
        self.db = db
        self.src = src
        self.base_now = base_now
        self.crash_rate = crash_rate
        sock = loopback_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.round = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, crash: bool = True) -> bool:
        """Start it; False when the fault hook killed it before it was seen healthy (the
        clients' retries can reach it first)."""
        self.round += 1
        now = self.base_now + self.round * ROUND_CLOCK_STEP
        env = {
            **os.environ,
            "CSTUI_NOW": now.isoformat(),
            "CSTUI_SERVER__RATE_LIMIT_PER_SECOND": "0",
            CRASH_RATE_ENV: str(self.crash_rate if crash else 0),
            "CSTUI_TEST_CRASH_SEED": str(self.round),
        }
        if self.src:
            env["PYTHONPATH"] = self.src
        command = [sys.executable, "-m", "tests.crash", "serve", "--db", self.db]
        command += ["--port", str(self.port), "--log-level", "critical"]
        self.proc = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        return self._wait_ready()

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() == -signal.SIGKILL:
                return False
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode} at start")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise RuntimeError("the server never became healthy")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def died_by_itself(self, within: float) -> bool:
        """Wait up to `within` seconds: True when the fault hook killed it meanwhile."""
        assert self.proc is not None
        try:
            self.proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            return False
        return self.proc.returncode == -signal.SIGKILL


def hammer(
    tokens: dict[str, str], work: list[Work], server: Server, *, kills: int, seed: int = 1
) -> Tally:
    """Run `work` from one client per agent while the server is killed `kills` times."""
    tally = Tally()
    lock = threading.Lock()
    queues = {agent: [w for w in work if w.agent == agent] for agent in AGENTS}
    clients = [
        threading.Thread(target=_client, args=(server.url, tokens[a], queues[a], tally, lock))
        for a in AGENTS
    ]
    rng = random.Random(seed)
    server.start()
    for client in clients:
        client.start()
    while tally.kills < kills and any(c.is_alive() for c in clients):
        if server.died_by_itself(within=rng.uniform(0.05, 0.5)):
            tally.kills_after_commit += 1
        else:
            server.kill()
            tally.kills_from_outside += 1
        while not server.start():
            tally.kills_after_commit += 1
    server.kill()
    if not server.start(crash=False):  # the last one stays up until every request is answered
        raise RuntimeError("a server without the fault hook was killed")
    for client in clients:
        client.join(timeout=600)
    server.kill()
    if any(c.is_alive() for c in clients):
        raise RuntimeError("the clients did not finish")
    return tally


def _client(url: str, token: str, queue: list[Work], tally: Tally, lock: threading.Lock) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as client:
        for item in queue:
            body = _until_answered(client, item, lambda: _count(tally, lock))
            with lock:
                tally.answers[item.key] = body


def _count(tally: Tally, lock: threading.Lock) -> None:
    with lock:
        tally.attempts += 1


def _until_answered(client: httpx.Client, item: Work, counted: Callable[[], None]) -> Any:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        counted()
        try:
            response = client.post(item.path, json=item.body, headers={"Idempotency-Key": item.key})
        except httpx.TransportError:
            time.sleep(0.02)  # the server is down: ask again once it is back
            continue
        if response.status_code != 201:
            raise AssertionError(f"{item.key}: {response.status_code} {response.text}")
        return response.json()
    raise AssertionError(f"{item.key}: never answered")


if __name__ == "__main__":  # python -m tests.crash serve …: `cstui serve` with the hook
    rate = float(os.environ.get(CRASH_RATE_ENV, "0"))
    if rate:
        install_crash_hook(rate, int(os.environ.get("CSTUI_TEST_CRASH_SEED", "0")))
    from cstui.__main__ import run

    sys.argv = ["cstui", *sys.argv[1:]]
    run()
