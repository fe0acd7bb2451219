"""`cstui ssh-serve` with the real OpenSSH client and keys made by ssh-keygen.

The server runs as a process on a free port; each test connects with `ssh` as a user would.
Apps run on real pseudo-terminals, so the monitor's own output (its title) is what we read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cstui.domain.rules import Rules
from cstui.errors import BadInput
from cstui.seed import seed_store
from cstui.ssh import keys
from cstui.ssh.limits import ConnectionLimiter
from cstui.store import init_store

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None, reason="needs the OpenSSH client")

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@dataclass
class Server:
    port: int
    keydir: Path
    process: subprocess.Popen[bytes]
    log: list[str]


def keygen(path: Path, comment: str) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
    )
    return path


def start_server(tmp: Path, db: Path, *extra: str) -> Server:
    authorized = tmp / "authorized_keys"
    env = {**os.environ, "CSTUI_NOW": NOW.isoformat(), "CSTUI_CONFIG_FILE": str(tmp / "c.toml")}
    argv = [sys.executable, "-m", "cstui", "--db", str(db), "ssh-serve", "--port", "0"]
    argv += ["--authorized-keys", str(authorized), "--host-key", str(tmp / "host_key"), *extra]
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    log: list[str] = []
    port = _wait_for_port(process, log)
    return Server(port, tmp, process, log)


def _wait_for_port(process: subprocess.Popen[bytes], log: list[str]) -> int:
    assert process.stderr is not None
    found: list[int] = []

    def read() -> None:
        for raw in process.stderr:  # type: ignore[union-attr]
            line = raw.decode(errors="replace").strip()
            log.append(line)
            if "listening on" in line:
                found.append(int(line.rsplit(":", 1)[1].split()[0]))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 30
    while not found and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert found, f"server did not start: {log}"
    return found[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ssh")
    db = tmp / "world.db"
    store = init_store(str(db), rules=Rules(), clock=lambda: NOW)
    seed_store(store, tickets=60, customers=30, seed=3, now=NOW, workers=1)
    store.close()
    sup = keygen(tmp / "sup01", "sup01")
    agent = keygen(tmp / "agent01", "agent01")
    keygen(tmp / "stranger", "stranger")
    (tmp / "authorized_keys").write_text(
        "# the team\n" + (tmp / "sup01.pub").read_text() + (tmp / "agent01.pub").read_text()
    )
    assert sup.exists() and agent.exists()
    srv = start_server(tmp, db)
    yield srv
    srv.process.terminate()
    srv.process.wait(timeout=10)


def ssh(server: Server, key: str, user: str, *args: str, port: int | None = None) -> list[str]:
    return [
        "ssh",
        "-F",
        "/dev/null",
        "-p",
        str(port or server.port),
        "-i",
        str(server.keydir / key),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        *args,
        f"{user}@127.0.0.1",
    ]


def session_output(argv: list[str], wanted: bytes, timeout: float = 60) -> tuple[bytes, int]:
    """Run an interactive ssh session until `wanted` appears, then press q until it ends (a
    key sent before the app reads its keyboard may be lost)."""
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    seen = bytearray()
    done = threading.Event()

    def read() -> None:
        while chunk := child.stdout.read1(65536):  # type: ignore[union-attr]
            seen.extend(chunk)
            if wanted in seen:
                done.set()
        done.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        assert done.wait(timeout), f"{wanted!r} never came: {bytes(seen)[-300:]!r}"
        while child.poll() is None:
            assert time.monotonic() < deadline, "the session did not end on q"
            with contextlib.suppress(BrokenPipeError):
                child.stdin.write(b"q")
                child.stdin.flush()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=2)
    finally:
        if child.poll() is None:
            child.kill()
    return bytes(seen), child.returncode


def wait_logged(server: Server, *parts: str, timeout: float = 30) -> None:
    """Until the server has logged a line with every one of `parts` (read by a thread)."""
    deadline = time.monotonic() + timeout
    while not any(all(p in line for p in parts) for line in server.log):
        assert time.monotonic() < deadline, f"never logged {parts}: {server.log[-5:]}"
        time.sleep(0.05)


def test_a_supervisors_key_reaches_the_monitor(server: Server) -> None:
    out, code = session_output(ssh(server, "sup01", "sup01", "-tt"), b"cstui monitor")
    assert b"cstui monitor" in out
    assert b"sup01" in out
    assert code == 0
    wait_logged(server, "logged in as sup01")
    wait_logged(server, "session for sup01 (supervisor)")


async def test_the_clients_window_size_follows_it(server: Server) -> None:
    """OpenSSH on a pseudo-terminal of our own: resizing it reaches the monitor's terminal."""
    from cstui.ssh.bridge import PtyApp

    argv = ssh(server, "sup01", "sup01", "-t")
    screen = bytearray()
    client = PtyApp(argv, {**os.environ, "TERM": "xterm-256color"}, columns=100, rows=30)
    await client.start(screen.extend)
    try:
        await wait_for(lambda: b"cstui monitor" in screen)
        await wait_for(lambda: any("xterm-256color 100x30" in line for line in server.log))
        client.resize(120, 40)
        await wait_for(lambda: any("resized to 120x40" in line for line in server.log))
        client.write(b"q")
        assert await asyncio.wait_for(client.wait(), 30) == 0
    finally:
        client.stop()


async def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_an_agents_key_reaches_the_console(server: Server) -> None:
    out, code = session_output(ssh(server, "agent01", "agent01", "-tt"), b"agent01")
    assert b"agent01" in out and b"cstui monitor" not in out
    assert code == 0
    wait_logged(server, "session for agent01 (agent)")


@pytest.mark.parametrize(
    ("key", "user"),
    [("stranger", "stranger"), ("stranger", "sup01"), ("agent01", "sup01")],
)
def test_unknown_or_borrowed_keys_are_refused(server: Server, key: str, user: str) -> None:
    result = subprocess.run(
        ssh(server, key, user, "-tt"), capture_output=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 255
    assert b"Permission denied (publickey)" in result.stderr
    fingerprint = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(server.keydir / f"{key}.pub")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1]
    wait_logged(server, "refused key", fingerprint, f"for {user}")


def test_no_pty_and_commands_are_refused(server: Server) -> None:
    no_pty = subprocess.run(
        ssh(server, "sup01", "sup01", "-T"),
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert no_pty.returncode == 1
    assert b"a terminal is required" in no_pty.stderr
    command = subprocess.run(
        [*ssh(server, "sup01", "sup01", "-tt"), "cat", "/etc/passwd"],
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert command.returncode == 1
    assert b"no commands here" in command.stdout + command.stderr
    assert b"root:" not in command.stdout


def test_remote_forwarding_is_refused(server: Server) -> None:
    result = subprocess.run(
        ssh(
            server, "sup01", "sup01", "-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:22"
        ),
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 255
    assert b"remote port forwarding failed" in result.stderr


def test_local_forwarding_is_refused(server: Server) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local = probe.getsockname()[1]
    spec = f"{local}:127.0.0.1:{server.port}"
    tunnel = subprocess.Popen(
        ssh(server, "sup01", "sup01", "-N", "-L", spec),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        received = b"?"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", local), timeout=5) as conn:
                    received = conn.recv(100)  # the SSH banner, if the tunnel were open
                break
            except ConnectionRefusedError:
                time.sleep(0.1)  # the tunnel is not listening yet
    finally:
        tunnel.kill()
        tunnel.wait(timeout=10)
    assert received == b""  # through an open tunnel, the server's own SSH banner would come


def test_connections_are_rate_limited(tmp_path: Path, server: Server) -> None:
    shutil.copy(server.keydir / "authorized_keys", tmp_path / "authorized_keys")
    db = tmp_path / "empty.db"
    init_store(str(db), rules=Rules()).close()
    limited = start_server(tmp_path, db, "--max-connections", "2")
    try:
        codes = [
            subprocess.run(
                ssh(server, "stranger", "sup01", "-tt", port=limited.port),
                capture_output=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
            )
            for _ in range(3)
        ]
    finally:
        limited.process.terminate()
        limited.process.wait(timeout=10)
    assert [c.returncode for c in codes] == [255, 255, 255]
    assert b"Permission denied" in codes[0].stderr
    assert b"Permission denied" not in codes[2].stderr  # cut off before any key was tried
    wait_logged(limited, "too many connections")


# --- the pieces, without a network -------------------------------------------------------


def test_authorized_keys_need_a_name_and_no_options() -> None:
    line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEz0 sue"
    assert keys.parse(line) == {"sue": {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEz0"}}
    with pytest.raises(BadInput, match="line 1: the comment must name"):
        keys.parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEz0")
    with pytest.raises(BadInput, match="line 2: options"):
        keys.parse(f'{line}\nfrom="10.0.0.1" {line}')
    with pytest.raises(BadInput, match="not an agent name"):
        keys.parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEz0 --db=/elsewhere")
    with pytest.raises(BadInput, match="no key"):
        keys.parse("# nobody yet\n")


def test_the_limiter_forgets_old_attempts() -> None:
    limiter = ConnectionLimiter(per_window=2, window=60)
    assert limiter.allow("a", 0) and limiter.allow("a", 1)
    assert not limiter.allow("a", 2)
    assert limiter.allow("b", 2)  # per address
    assert limiter.allow("a", 61)


def test_missing_authorized_keys_file_is_bad_input(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cstui",
            "--db",
            str(tmp_path / "x.db"),
            "ssh-serve",
            "--authorized-keys",
            str(tmp_path / "nope"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("cstui: --authorized-keys:") and result.stderr.count("\n") == 1
