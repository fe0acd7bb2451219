"""A console or monitor that cannot open its store, or find its agent, ends at once.

The real command runs on a pseudo-terminal (stdin and stdout), with stderr kept apart: the
one line must arrive there, with the CLI's exit code, before a deadline. Before, the
console opened and stayed on "loading…" for ever. The monitor's screen never starts
(Textual draws on stderr, so one plain line there also proves it did not). The console
paints first and opens its store in a worker: its screen starts, ends, and gives the
terminal back (the alternate screen left) before the line. Through a team server that is
down, the console must still open, offline, as it did.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_cli import NOW, ok, run
from tests.serving import ServeProcess

DEADLINE = 30.0  # seconds; the command itself takes one or two


def env_for(db: Path) -> dict[str, str]:
    env = {**os.environ, "CSTUI_DB": str(db), "CSTUI_NOW": NOW, "TERM": "xterm-256color"}
    env["CSTUI_CONFIG_FILE"] = str(db.parent / "config.toml")
    env.pop("CSTUI_AGENT", None)
    return env


def on_a_terminal(db: Path, *args: str) -> tuple[int, str]:
    """Run `cstui ARGS` on a pty; its exit code and stderr (fails past the deadline)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cstui", *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env_for(db),
        close_fds=True,
    )
    os.close(slave)
    try:
        _, err = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"cstui {' '.join(args)} was still running after {DEADLINE} s")
    finally:
        os.close(master)
    return proc.returncode, err.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "cstui.db"
    ok(run(path, "seed", "--tickets", "30", "--kb", "5", "--seed", "7", "--json"))
    return path


CASES = [
    (("--db", "{missing}", "--as", "agent01"), 6, "no store at"),
    (("--as", "ghost"), 4, "agent ghost: no such agent"),
    (("monitor", "--db", "{missing}", "--as", "agent01"), 6, "no store at"),
    (("monitor", "--as", "ghost"), 4, "agent ghost: no such agent"),
]
LEAVE_ALT_SCREEN = "\x1b[?1049l"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    CASES,
    ids=["console-no-store", "console-ghost", "monitor-no-store", "monitor-ghost"],
)
def test_a_screen_that_cannot_start_ends_with_the_clis_line(
    seeded: Path, tmp_path: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    missing = str(tmp_path / "no" / "such" / "dir" / "x.db")
    returncode, err = on_a_terminal(seeded, *(a.replace("{missing}", missing) for a in args))
    assert returncode == code, err
    if args[0] != "monitor":  # the console's screen came and went first
        screen, left, err = err.rpartition(LEAVE_ALT_SCREEN)
        assert left and screen, err
        err = re.sub(r"\x1b\[\?[0-9;]*[hl]", "", err)  # modes reset: mouse, focus, cursor
    assert err.endswith("\n") and err.count("\n") == 1, err  # one line, and no screen
    assert err.startswith("cstui: ") and says in err and "\x1b" not in err


def test_through_a_server_that_is_down_the_console_still_opens_offline(seeded: Path) -> None:
    token = json.loads(ok(run(seeded, "agents", "token", "agent01", "--json")))["token"]
    with ServeProcess(str(seeded)) as server:
        url = server.url
        # Any command acting as the token's agent remembers who that is, as the console does.
        ok(run(seeded, "--api", url, "--token", token, "tickets", "note", "1", "--text", "hi"))
    # The server is gone; the token was used here before, so the console knows its agent.
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cstui", "--api", url, "--token", token],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env_for(seeded),
        close_fds=True,
    )
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + DEADLINE

    def read_some() -> None:
        nonlocal screen
        if select.select([master], [], [], 0.2)[0]:
            with contextlib.suppress(OSError):  # the other end closed: the process ended
                screen += os.read(master, 65536)

    try:
        while b"store unreachable" not in screen:
            assert proc.poll() is None, screen.decode("utf-8", "replace")[-500:]
            assert time.monotonic() < deadline, "the console did not say it is offline"
            read_some()
        os.write(master, b"q")
        while proc.poll() is None and time.monotonic() < deadline:
            read_some()  # keep the terminal drained while the console leaves
        assert proc.poll() == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
