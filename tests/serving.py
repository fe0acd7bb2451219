"""Real servers for tests: uvicorn on a loopback socket (in a thread, or `cstui serve`).

`ThreadServer` runs the app in this process, so a test may swap the store behind it and
share its fake clock; `ServeProcess` runs the real `cstui serve` command in its own process,
as users do, and keeps what it writes (its log). Both bind 127.0.0.1 on an ephemeral port,
configured as `cstui serve` configures uvicorn, and stop when the test is done.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from cstui.domain.model import Role, Shift
from cstui.remote.http_store import HttpStore
from cstui.server.runner import uvicorn_config
from cstui.store.sql import SqlStore

STARTUP_SECONDS = 30
# A stopped ThreadServer cancels what still runs after this long. `cstui serve` does the same
# after its GRACEFUL_SECONDS: a live event stream never ends by itself, and one whose client
# has gone only notices at its next keep-alive (up to `watch.FALLBACK_SECONDS` later), so
# without a limit every test that had a console on the server waited that out.
STOP_GRACE_SECONDS = 0.5


def loopback_socket(port: int = 0) -> socket.socket:
    # IPPROTO_TCP, so that asyncio sets TCP_NODELAY on the connections (see cli/serve.py).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    return sock


class ThreadServer:
    """uvicorn serving `app` from a thread of this process."""

    def __init__(self, app: FastAPI, *, port: int = 0) -> None:
        """On `port` (a server that comes back where clients knew it), or any free one."""
        self.app = app
        self.sock = loopback_socket(port)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn_config(
            app, log_level="warning", timeout_graceful_shutdown=STOP_GRACE_SECONDS
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class ServeProcess:
    """`cstui serve --port 0` on a store, in its own process; the URL is read from its output.

    Everything it writes (stdout and stderr, so its access log too) is kept in `output`.
    """

    def __init__(
        self,
        db: str,
        *,
        env: dict[str, str] | None = None,
        log_level: str = "warning",
        args: tuple[str, ...] = (),
    ) -> None:
        """`args`: more options of `cstui serve` (`--log-format json`)."""
        self.db = db
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.log_level = log_level
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.output: list[str] = []
        self.reader: threading.Thread | None = None

    def __enter__(self) -> ServeProcess:
        command = [sys.executable, "-m", "cstui", "serve", "--db", self.db, "--port", "0"]
        self.proc = subprocess.Popen(
            [*command, "--log-level", self.log_level, *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="backslashreplace",
            env=self.env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            self.__exit__()
            raise RuntimeError(f"cstui serve did not start: {line!r}")
        self.url = found.group(0)
        # Keep reading, so a chatty server never blocks on a full pipe.
        self.reader = threading.Thread(target=self._keep, args=(self.proc.stdout,), daemon=True)
        self.reader.start()
        wait_healthy(self.url)
        return self

    def _keep(self, stream: Any) -> None:
        for line in stream:
            self.output.append(line)

    def wait_for_output(self, wanted: str, seconds: float = 10) -> str:
        """The first line of output containing `wanted`, waiting for it up to `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.output):
                if wanted in line:
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no {wanted!r} in the server's output: {''.join(self.output)}")

    def __exit__(self, *_exc: object) -> None:
        """Stop the server; `output` is then all it wrote."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.reader is not None:
            self.reader.join(timeout=10)


def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} never became healthy")


TEAM = (
    ("alice", Role.AGENT, Shift.MORNING),
    ("bob", Role.AGENT, Shift.MORNING),
    ("carol", Role.AGENT, Shift.EVENING),
    ("sue", Role.SUPERVISOR, Shift.MORNING),
)
INTEGRATION = "ops"  # the admin that channel integrations (new tickets, customers) act as


def add_team(store: SqlStore) -> dict[str, str]:
    """The contract suite's team plus an admin, each with a token; name → token."""
    for name, role, shift in TEAM:
        store.add_agent(name, role, shift)
    store.add_agent(INTEGRATION, Role.ADMIN)
    return {name: store.issue_token(name) for name, *_ in (*TEAM, (INTEGRATION,))}


class TeamHttpStore:
    """The store protocol over HTTP for a whole team: each call goes out with the token of
    the agent it names (`actor=`), calls that name nobody with the admin's token.

    One `HttpStore` is one agent, as on an agent's machine; the contract suite speaks for
    several agents at once, so it gets one HttpStore per agent.
    """

    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        self.url = url
        self.stores = {name: HttpStore(url, token) for name, token in tokens.items()}

    def _for(self, actor: str | None) -> HttpStore:
        return self.stores[actor or INTEGRATION]

    def add_agent(self, name: str, *args: Any, **kwargs: Any) -> Any:
        admin = self._for(None)
        added = admin.add_agent(name, *args, **kwargs)
        self.stores[name] = HttpStore(self.url, admin.issue_token(name))
        return added

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(self._for(kwargs.get("actor")), name)(*args, **kwargs)

        return call

    def close(self) -> None:
        for store in self.stores.values():
            store.close()


def read_events(response: httpx.Response, wanted: int) -> list[dict[str, object]]:
    """Server-sent events from a stream until `wanted` have arrived."""
    found: list[dict[str, object]] = []
    current: dict[str, object] = {}
    for line in response.iter_lines():
        if line.startswith("id: "):
            current["id"] = int(line[4:])
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
        elif not line and "id" in current:
            found.append(current)
            current = {}
            if len(found) == wanted:
                break
    return found
