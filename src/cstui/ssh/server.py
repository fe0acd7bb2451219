"""The SSH server: public-key logins checked against authorized_keys, one app per session.

A supervisor gets the monitor, an agent the console, each as its own process on a pty of the
client's terminal type and size (`bridge.PtyApp`). There is no shell and no command: a
session that asks for a command, a subsystem or no pty is refused with one line. Port, agent
and X11 forwarding are off. Connections are rate-limited per address, and every login,
refusal and session end is logged.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from cstui.domain.model import Role
from cstui.domain.ownership import is_supervising
from cstui.errors import CstuiError
from cstui.ssh.bridge import PtyApp
from cstui.ssh.limits import ConnectionLimiter

log = logging.getLogger("cstui.ssh")

DEFAULT_SIZE = (80, 24)
RoleLookup = Callable[[str], Role]  # raises NotFound for an unknown agent


@dataclass
class ServeConfig:
    host: str
    port: int
    keys: Mapping[str, set[str]]  # agent name → "type base64" of their keys
    host_key: Path
    db: str
    role_of: RoleLookup
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    lang: str | None = None
    limiter: ConnectionLimiter = field(default_factory=ConnectionLimiter)


def key_text(key: asyncssh.SSHKey) -> str:
    """The key as it is written in authorized_keys, without the comment."""
    return f"{key.get_algorithm()} {base64.b64encode(key.public_data).decode()}"


def ensure_host_key(path: Path) -> asyncssh.SSHKey:
    """The server's own key, made on first start (mode 0600) so clients can pin it."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    log.info("made host key %s", path)
    return key


class Gate(asyncssh.SSHServer):
    """Per connection: rate limit, then public keys only, named by the login user."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.peer = "?"
        self.username = self.key = ""
        self.limited = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        address = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{address[0]}:{address[1]}"
        self.limited = not self.config.limiter.allow(str(address[0]), time.monotonic())
        if self.limited:
            log.warning("%s refused: too many connections", self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        log.info("%s closed%s", self.peer, f": {exc}" if exc else "")

    async def begin_auth(self, username: str) -> bool:
        self.username = username
        if self.limited:
            raise asyncssh.DisconnectError(
                asyncssh.DISC_TOO_MANY_CONNECTIONS, "too many connections, try again later"
            )
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """Asked twice for the key that works (offer, then signature): log the login once,
        in `auth_completed`, and every refused key here."""
        allowed = key_text(key) in self.config.keys.get(username, set())
        if allowed:
            self.key = key.get_fingerprint()
        else:
            log.warning("%s refused key %s for %s", self.peer, key.get_fingerprint(), username)
        return allowed

    def auth_completed(self) -> None:
        log.info("%s logged in as %s (%s)", self.peer, self.username, self.key)


def _refuse(process: asyncssh.SSHServerProcess[bytes], message: str) -> None:
    process.stderr.write(f"cstui: {message}\r\n".encode())
    process.exit(1)


def app_argv(config: ServeConfig, name: str, role: Role) -> list[str]:
    """`cstui monitor` for supervisors, the console for agents, as that agent."""
    argv = [sys.executable, "-m", "cstui", "--db", config.db, "--as", name]
    if config.lang:
        argv += ["--lang", config.lang]
    return [*argv, "monitor"] if is_supervising(role) else argv


def app_env(config: ServeConfig, name: str, term: str) -> dict[str, str]:
    env = {k: v for k, v in config.env.items() if k not in ("COLUMNS", "LINES", "TEXTUAL")}
    env.update(TERM=term, CSTUI_AGENT=name)
    env.pop("TEXTUAL_HEADLESS", None)
    env.pop("CSTUI_HEADLESS", None)
    return env


async def session(config: ServeConfig, process: asyncssh.SSHServerProcess[bytes]) -> None:
    """One SSH session: checks, then the app on a pty until either side ends."""
    name = process.get_extra_info("username")
    if process.command is not None or process.subsystem is not None:
        return _refuse(process, "no commands here: connect without one (ssh -t)")
    term = process.get_terminal_type()
    if term is None:
        return _refuse(process, "a terminal is required: connect with ssh -t")
    try:
        role = await asyncio.to_thread(config.role_of, name)
    except CstuiError as exc:
        log.warning("session for %s refused: %s", name, exc)
        return _refuse(process, str(exc))
    columns, rows, *_ = process.get_terminal_size()
    columns, rows = columns or DEFAULT_SIZE[0], rows or DEFAULT_SIZE[1]  # 0: client did not say
    app = PtyApp(app_argv(config, name, role), app_env(config, name, term), columns, rows)
    await app.start(process.stdout.write)
    log.info("session for %s (%s) started: %s %dx%d", name, role.value, term, columns, rows)
    pump = asyncio.create_task(_client_input(process, app))
    code = await app.wait()
    app.drain(process.stdout.write)
    pump.cancel()
    app.close()
    log.info("session for %s ended (%d)", name, code)
    process.exit(code if code >= 0 else 1)


async def _client_input(process: asyncssh.SSHServerProcess[bytes], app: PtyApp) -> None:
    """Keys to the app, window sizes to the pty; the client leaving hangs the app up."""
    while True:
        try:
            data = await process.stdin.read(4096)
        except asyncssh.TerminalSizeChanged as change:
            app.resize(change.width, change.height)
            log.info("session resized to %dx%d", change.width, change.height)
            continue
        except (asyncssh.BreakReceived, asyncssh.SignalReceived):
            continue
        except (asyncssh.ConnectionLost, asyncssh.DisconnectError, BrokenPipeError):
            data = b""
        if not data:
            app.stop()
            return
        app.write(data)


async def serve(config: ServeConfig, ready: Callable[[str, int], None]) -> None:
    """Listen until cancelled; `ready` gets the bound address (port 0 picks a free one)."""
    host_key = ensure_host_key(config.host_key)

    async def handle(process: asyncssh.SSHServerProcess[bytes]) -> None:
        with contextlib.suppress(asyncssh.Error, OSError):
            await session(config, process)

    server = await asyncssh.create_server(
        lambda: Gate(config),
        config.host,
        config.port,
        server_host_keys=[host_key],
        process_factory=handle,
        encoding=None,
        line_editor=False,
        allow_pty=True,
        agent_forwarding=False,
        x11_forwarding=False,
        login_timeout=30,
        keepalive_interval=60,
    )
    host, port = server.sockets[0].getsockname()[:2]
    ready(host, port)
    async with server:
        await server.wait_closed()
