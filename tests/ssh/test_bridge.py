"""The pty bridge on its own: a child sees the size it was given, and every resize."""

from __future__ import annotations

import asyncio
import signal
import sys

from cstui.ssh.bridge import PtyApp

# Prints its terminal's size at start and on every SIGWINCH, echoes one line, then exits.
CHILD = r"""
import os, signal, sys
def show(*_):
    c, r = os.get_terminal_size(1)
    sys.stdout.write(f"size={c}x{r}\n"); sys.stdout.flush()
signal.signal(signal.SIGWINCH, show)
show()
line = sys.stdin.readline()
sys.stdout.write("got:" + line); sys.stdout.flush()
"""


async def wait_for(buffer: bytearray, text: bytes, timeout: float = 30) -> None:
    async def poll() -> None:
        while text not in buffer:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_size_resize_input_and_exit_code() -> None:
    out = bytearray()
    app = PtyApp([sys.executable, "-c", CHILD], {"TERM": "xterm"}, columns=100, rows=30)
    await app.start(out.extend)
    await wait_for(out, b"size=100x30")
    app.resize(120, 40)
    await wait_for(out, b"size=120x40")
    app.write(b"hello\r")
    code = await asyncio.wait_for(app.wait(), 30)
    app.drain(out.extend)
    await wait_for(out, b"got:hello")
    app.close()
    assert code == 0


async def test_hanging_up_ends_the_child() -> None:
    """Even from a server that ignores SIGHUP itself (started under nohup)."""
    app = PtyApp([sys.executable, "-c", "import time; time.sleep(60)"], {}, columns=80, rows=24)
    ignored = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        await app.start(lambda data: None)
    finally:
        signal.signal(signal.SIGHUP, ignored)
    app.stop()
    assert await asyncio.wait_for(app.wait(), 30) == -signal.SIGHUP
