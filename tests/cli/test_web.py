"""`cstui web`: the console through textual-serve, reached over HTTP and its websocket."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from cstui.domain.rules import Rules
from cstui.seed import seed_store
from cstui.store import init_store
from tests.serving import ServeProcess

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["store", "api"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """`cstui web` on a store (--db, --as), or on a team server (--api, the token's agent)."""
    db = tmp_path / "world.db"
    store = init_store(str(db), rules=Rules(), clock=lambda: NOW)
    seed_store(store, tickets=40, customers=20, seed=2, now=NOW, workers=1)
    token = store.issue_token("agent01")
    store.close()
    port = free_port()
    env = {**os.environ, "CSTUI_NOW": NOW.isoformat(), "CSTUI_CONFIG_FILE": str(tmp_path / "c")}
    with contextlib.ExitStack() as stack:
        if request.param == "api":
            team_server = stack.enter_context(ServeProcess(str(db), env=env))
            where = ["--api", team_server.url]
            env["CSTUI_TOKEN"] = token  # and no --db: the data dir (a temporary one) is empty
        else:
            where = ["--db", str(db), "--as", "agent01"]
        yield from _web(port, [sys.executable, "-m", "cstui", *where, "web"], env)


def _web(
    port: int, argv: list[str], env: dict[str, str]
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    server = subprocess.Popen(
        [*argv, "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True
    )
    assert server.stderr is not None
    notice = server.stderr.readline()
    assert "localhost only" in notice and "no authentication" in notice
    assert f"http://127.0.0.1:{port}" in notice
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port, server
    server.terminate()
    server.wait(timeout=10)


async def test_the_console_runs_in_the_browser_session(
    served: tuple[int, subprocess.Popen[str]],
) -> None:
    port, _ = served
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200
            assert "cstui console · agent01" in await page.text()
        url = f"ws://127.0.0.1:{port}/ws?width=100&height=30"
        async with http.ws_connect(url) as ws:
            screen = bytearray()
            deadline = time.monotonic() + 30
            while b"agent01" not in screen and time.monotonic() < deadline:
                message = await ws.receive(timeout=30)
                if message.type == aiohttp.WSMsgType.BINARY:
                    screen.extend(message.data)
            assert b"agent01" in screen  # the console's status bar names who is working


def listening_addresses(port: int) -> list[str]:
    """Local addresses (hex, as the kernel lists them) with a socket listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, _, port_hex = fields[1].partition(":")
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.append(address)
    return found


def test_it_listens_on_localhost_only(served: tuple[int, subprocess.Popen[str]]) -> None:
    port, _ = served
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux's /proc/net/tcp")
    assert listening_addresses(port) == ["0100007F"]  # 127.0.0.1, and nothing else


def test_an_unknown_agent_is_refused_before_serving(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    init_store(str(db), rules=Rules()).close()
    result = subprocess.run(
        [sys.executable, "-m", "cstui", "--db", str(db), "--as", "nobody", "web"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1 and "nobody" in result.stderr
