"""Hostile text: a world whose every customer-controlled field carries terminal attacks, and
a real pty to run cstui in and read the raw bytes it writes.

Each field holds `TAG<payloads><markup>TAG-end`; the tag names the field, so a failure says
which field reached the terminal raw. Short tickets carry one payload each at the start of
their subject, where a narrow column still shows it. A test waits for a tag to be drawn
(never a fixed sleep), then asserts that none of the attack sequences is in the bytes.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import monotonic

from cstui.domain.model import (
    ArticleKind,
    ArticleLang,
    Category,
    Channel,
    Department,
    MessageKind,
    Role,
    Shift,
)
from cstui.domain.rules import Rules
from cstui.store import init_store
from cstui.store.base import NewCustomer, NewOrder, NewTicket

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in Shanghai
CREATED = NOW - timedelta(days=1)  # long enough ago for every deadline to be breached

PAYLOADS = (
    "\x1b]52;c;SGVsbG8=\x07",  # OSC 52: write the clipboard
    "\x1b]0;pwned\x07",  # OSC 0: retitle the window
    "\x1b[2J",  # clear the screen
    "\x1b[6n",  # ask for the cursor position: the terminal types the answer into the app
    "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",  # a hidden hyperlink
    "\u202e",  # right-to-left override
    "\x9b",  # C1 CSI (an 8-bit ESC [)
    "\r",  # back to column 0, to draw over the line
)
# Markup for Rich and Textual (an action on click, a style): shown as it is, never applied.
MARKUP = "[@click=app.quit][bold red]"
# What must never reach the terminal from data. Textual writes CSI sequences of its own,
# but none of these: each pty test runs on the world in plain text too, and finds none.
FORBIDDEN = (
    b"\x1b]52",
    b"\x1b]0;",
    b"\x1b]8;;http",
    b"\x1b[6n",
    b"\x1b[2J",
    "\u202e".encode(),
    "\x9b".encode(),
)

AGENT, SUPERVISOR = "agent01", "sue"


def field(tag: str, *, hostile: bool = True) -> str:
    return f"{tag}{''.join(PAYLOADS)}{MARKUP}{tag}-end" if hostile else f"{tag} plain {tag}-end"


def build_world(db: Path, *, hostile: bool = True) -> Path:
    """A new store at `db`: one customer; ticket 1, AGENT's (the `mine` view), with its
    thread, an escalation and an order; article 1 in the knowledge base; all carrying the
    payloads (or not: the same world in plain text, to see what the program writes by
    itself). Then one short unassigned ticket per payload, and one for the markup."""

    def value(tag: str) -> str:
        return field(tag, hostile=hostile)

    store = init_store(str(db), rules=Rules(), clock=lambda: CREATED)
    try:
        store.add_agent(AGENT, Role.AGENT, Shift.MORNING, display_name=value("AGENTNAME"))
        store.add_agent("agent02", Role.AGENT, Shift.MORNING)
        store.add_agent(SUPERVISOR, Role.SUPERVISOR, Shift.MORNING)
        customer = store.add_customer(
            NewCustomer(
                name=value("CUSTNAME"),
                phone=value("PHONE"),
                email=value("EMAIL") + "@" + value("MAILHOST"),
                address=value("ADDRESS") + "市" + value("STREET"),
            )
        )
        store.add_order(
            NewOrder(
                number="SO20261119001",
                customer_id=customer.id,
                amount=199.0,
                tracking_no=value("TRACKING"),
                logistics_status=value("LOGISTICS"),
            )
        )
        ticket = store.create_ticket(
            NewTicket(
                customer_id=customer.id,
                subject=value("SUBJECT"),
                body=value("FIRSTMESSAGE"),
                channel=Channel.EMAIL,
                category=Category.REFUND,
                order_number="SO20261119001",
            )
        )
        for i, payload in enumerate((*PAYLOADS, MARKUP)):
            store.create_ticket(
                NewTicket(
                    customer_id=customer.id,
                    subject=f"SHORT{i} {payload if hostile else ''} end",
                    body=f"SHORT{i}",
                    channel=Channel.CHAT,
                    category=Category.LOGISTICS,
                )
            )
        store.customer_message(ticket.id, text=value("MESSAGE"))
        store.take(ticket.id, actor=AGENT)
        store.add_message(ticket.id, actor=AGENT, kind=MessageKind.NOTE, text=value("NOTE"))
        store.escalate(
            ticket.id,
            actor=AGENT,
            department=Department.FINANCE,
            reason=value("ESCALATION"),
        )
        store.set_green_channel(ticket.id, actor=SUPERVISOR, reason=value("GREEN"))
        store.add_article(
            title="kbtitle " + value("KBTITLE"),
            body="kbtitle " + value("KBBODY"),
            kind=ArticleKind.FAQ,
            lang=ArticleLang.EN,
            actor=SUPERVISOR,
        )
    finally:
        store.close()
    return db


def cstui_env(db: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "CSTUI_", "COLUMNS"))
    }
    env.pop("LINES", None)
    return {
        **env,
        "TERM": "xterm-256color",
        "CSTUI_DB": str(db),
        "CSTUI_NOW": NOW.isoformat(),
        "CSTUI_CONFIG_FILE": str(db.parent / "config.toml"),
        "CSTUI_DATA_DIR": str(db.parent / "data"),
        "CSTUI_LANG": "en",
    }


class Pty:
    """`python -m cstui ARGS` on a pty of a fixed size; everything it writes is kept."""

    def __init__(self, args: list[str], env: dict[str, str], *, cols: int, rows: int) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cstui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.out = bytearray()

    def _read(self, wait: float) -> bool:
        """Read what is there within `wait` seconds; False once the program has gone."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:  # EIO: the other side is closed
            chunk = b""
        self.out += chunk
        return bool(chunk)

    def wait_for(
        self, marker: str | re.Pattern[bytes], *, since: int = 0, timeout: float = 60.0
    ) -> bool:
        """Until `marker` (text, or a pattern of bytes) has been written after byte `since`;
        False at the deadline."""
        pattern = (
            marker if isinstance(marker, re.Pattern) else re.compile(re.escape(marker.encode()))
        )
        deadline = monotonic() + timeout
        while not pattern.search(self.out, since):
            left = deadline - monotonic()
            if left <= 0 or not self._read(min(left, 0.5)):
                return False
        return True

    def expect(
        self, marker: str | re.Pattern[bytes], *, since: int = 0, timeout: float = 60.0
    ) -> None:
        """`wait_for`, failing the test at the deadline."""
        if not self.wait_for(marker, since=since, timeout=timeout):
            tail = bytes(self.out[-2000:])
            raise AssertionError(f"{marker!r} not drawn within {timeout:.0f}s: …{tail!r}")

    def wait_exit(self, timeout: float = 60.0) -> int:
        deadline = monotonic() + timeout
        while self._read(max(min(deadline - monotonic(), 0.5), 0)):
            if monotonic() > deadline:
                raise AssertionError(f"still running after {timeout:.0f}s")
        return self.proc.wait(timeout=max(deadline - monotonic(), 1))

    def send(self, keys: str) -> int:
        """Type `keys`; returns where the output stood, for `wait_for(since=…)`."""
        mark = len(self.out)
        os.write(self.master, keys.encode())
        return mark

    def __enter__(self) -> Pty:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)


TAG = re.compile(rb"[A-Z]{4,}")


def leaks(out: bytes) -> list[str]:
    """The forbidden sequences written, by the field they came from (the tag before them)."""
    found: dict[str, set[str]] = {}
    for seq in FORBIDDEN:
        for at in (m.start() for m in re.finditer(re.escape(seq), out)):
            tags = TAG.findall(out, max(at - 200, 0), at)
            found.setdefault(tags[-1].decode() if tags else "?", set()).add(repr(seq))
    return [f"{tag}: {' '.join(sorted(seqs))}" for tag, seqs in sorted(found.items())]
