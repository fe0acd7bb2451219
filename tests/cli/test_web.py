"""`cstui web`: the console through textual-serve, reached over HTTP and its websocket."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
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
    db, token, env = _world(tmp_path)
    port = free_port()
    with contextlib.ExitStack() as stack:
        if request.param == "api":
            team_server = stack.enter_context(ServeProcess(str(db), env=env))
            where = ["--api", team_server.url]
            env["CSTUI_TOKEN"] = token  # and no --db: the data dir (a temporary one) is empty
        else:
            where = ["--db", str(db), "--as", "agent01"]
        yield from _web(port, [sys.executable, "-m", "cstui", *where, "web"], env)


def _world(tmp_path: Path) -> tuple[Path, str, dict[str, str]]:
    """A seeded store, a token of agent01's on it, and the environment to run cstui in."""
    db = tmp_path / "world.db"
    store = init_store(str(db), rules=Rules(), clock=lambda: NOW)
    seed_store(store, tickets=40, customers=20, seed=2, now=NOW, workers=1)
    token = store.issue_token("agent01")
    store.close()
    env = {**os.environ, "CSTUI_NOW": NOW.isoformat(), "CSTUI_CONFIG_FILE": str(tmp_path / "c")}
    return db, token, env


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
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on {port}"
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


# Each tab's app is a process of its own; none outlives its tab or the server.

BROWSER = Path(__file__).with_name("browser.py")
GONE_SECONDS = 30  # the server's own deadlines add up to about 12 s; the rest is for a busy machine
needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds processes through Linux's /proc"
)

Proc = tuple[int, str]  # a pid and its start time: a pid the kernel reuses is another process


@pytest.fixture
def web_on_store(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    db, _, env = _world(tmp_path)
    argv = [sys.executable, "-m", "cstui", "--db", str(db), "--as", "agent01", "web"]
    yield from _web(free_port(), argv, env)


@contextlib.contextmanager
def open_tab(port: int) -> Iterator[subprocess.Popen[str]]:
    """A browser tab in a process of its own, showing the console; killed at the end."""
    tab = subprocess.Popen(
        [sys.executable, str(BROWSER), str(port)], stdout=subprocess.PIPE, text=True
    )
    assert tab.stdout is not None
    try:
        readable, _, _ = select.select([tab.stdout], [], [], 60)
        assert readable and tab.stdout.readline() == "ready\n"
        yield tab
    finally:
        tab.kill()
        tab.wait()
        tab.stdout.close()


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat from its third field (the state) on; [] for no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def process(pid: int) -> Proc:
    return pid, _stat(pid)[19]  # field 22: the start time


def descendants(pid: int) -> set[Proc]:
    """The processes started by `pid`, and by them, and so on."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, parents = set(), [pid]
    while parents:
        for child in children.get(parents.pop(), []):
            with contextlib.suppress(IndexError):  # ended meanwhile
                found.add(process(child))
            parents.append(child)
    return found


def running(processes: set[Proc]) -> set[Proc]:
    """Those still running (a zombie has ended; it only waits for its parent to notice)."""
    return {
        (pid, start)
        for pid, start in processes
        if (fields := _stat(pid)) and fields[19] == start and fields[0] != "Z"
    }


def left_after(seconds: float, processes: set[Proc]) -> set[Proc]:
    """Those of `processes` still running after at most `seconds` of waiting for them to end."""
    deadline = time.monotonic() + seconds
    while (left := running(processes)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@needs_proc
def test_a_killed_browser_leaves_no_process(
    web_on_store: tuple[int, subprocess.Popen[str]],
) -> None:
    port, server = web_on_store
    with open_tab(port) as tab:
        apps = descendants(server.pid)
        assert apps
        tab.kill()  # the socket closes with no websocket close frame
        assert left_after(GONE_SECONDS, apps) == set()
    assert server.poll() is None  # and the server serves on


@needs_proc
def test_a_browser_gone_silent_leaves_no_process(
    web_on_store: tuple[int, subprocess.Popen[str]],
) -> None:
    """A tab frozen, or on a laptop gone from the network: its socket stays open, silent."""
    port, server = web_on_store
    with open_tab(port) as tab:
        apps = descendants(server.pid)
        assert apps
        tab.send_signal(signal.SIGSTOP)
        assert left_after(GONE_SECONDS, apps) == set()


@needs_proc
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_server_stopped_by_a_signal_ends_every_tab(
    web_on_store: tuple[int, subprocess.Popen[str]], signum: int, code: int
) -> None:
    port, server = web_on_store
    with open_tab(port), open_tab(port):
        apps = descendants(server.pid)
        assert len(apps) >= 2
        server.send_signal(signum)  # to the server alone (Ctrl+C in a terminal reaches all)
        assert left_after(GONE_SECONDS, {*apps, process(server.pid)}) == set()
        assert server.wait(timeout=1) == code


@needs_proc
def test_a_killed_server_leaves_no_process(
    web_on_store: tuple[int, subprocess.Popen[str]],
) -> None:
    port, server = web_on_store
    with open_tab(port):
        apps = descendants(server.pid)
        assert apps
        server.kill()  # no chance to end anything: each app sees its input close
        assert left_after(GONE_SECONDS, apps) == set()


@needs_proc
def test_sigterm_ends_a_tabs_app_and_closes_the_tab(
    web_on_store: tuple[int, subprocess.Popen[str]],
) -> None:
    port, server = web_on_store
    with open_tab(port) as tab:
        apps = descendants(server.pid)
        started = [pid for pid, _ in apps if int(_stat(pid)[1]) == server.pid]
        assert len(started) == 1
        os.kill(started[0], signal.SIGTERM)  # the process the server started for the tab
        assert left_after(GONE_SECONDS, apps) == set()
        assert tab.wait(timeout=GONE_SECONDS) == 0
        assert tab.stdout is not None and tab.stdout.read() == "closed\n"
    assert server.poll() is None


STUCK_APP = """
import threading
from textual.app import App

class Stuck(App):
    def on_mount(self):
        threading.Thread(target=threading.Event().wait).start()  # never ends; not a daemon

Stuck().run()
"""


@pytest.mark.parametrize("end", ["input closed", "SIGTERM"])
def test_a_tab_app_stuck_in_a_thread_still_ends(end: str) -> None:
    """The app's process is gone even when something in it would keep it alive."""
    app = subprocess.Popen(
        [sys.executable, "-c", STUCK_APP],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "TEXTUAL_DRIVER": "cstui.web.driver:SessionDriver"},
    )
    assert app.stdin is not None and app.stdout is not None
    try:
        readable, _, _ = select.select([app.stdout], [], [], 30)
        assert readable and app.stdout.readline() == b"__GANGLION__\n"  # the driver runs
        threading.Thread(target=app.stdout.read, daemon=True).start()  # never a full pipe
        if end == "SIGTERM":
            app.terminate()
        else:
            app.stdin.close()
        app.wait(timeout=GONE_SECONDS)
    finally:
        app.kill()
        app.wait()


def test_a_port_in_use_is_unreachable(tmp_path: Path) -> None:
    db, _, env = _world(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["--db", str(db), "--as", "agent01", "web", "--port", str(port)]
        result = subprocess.run(
            [sys.executable, "-m", "cstui", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
    assert result.returncode == 6
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"cstui: web: cannot listen on 127.0.0.1:{port}")
