"""One SSH session's app on a real pseudo-terminal: bytes both ways, resizes passed on.

The app runs as its own process (`cstui monitor` or `cstui`) with the pty's slave side as
its controlling terminal, so Textual sees a real terminal of the client's type and size and
gets SIGWINCH when the client resizes. Each session is isolated: a crash ends one session.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import termios
from collections.abc import Callable, Mapping, Sequence

READ_CHUNK = 65536


def set_size(fd: int, columns: int, rows: int) -> None:
    """TIOCSWINSZ on the pty: the kernel then signals the app's process group (SIGWINCH)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _become_terminal_owner() -> None:  # runs in the child, after setsid
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # A hang-up must end the app even when the server was started with SIGHUP ignored
    # (nohup, some supervisors): an ignored signal would be inherited through exec.
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


class PtyApp:
    """A child process on a fresh pty, with callbacks for its output and its exit."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], columns: int, rows: int):
        self.argv, self.env = list(argv), dict(env)
        self.columns, self.rows = columns, rows
        self.master = -1
        self.child: asyncio.subprocess.Process | None = None

    async def start(self, on_output: Callable[[bytes], None]) -> None:
        master, slave = os.openpty()
        set_size(slave, self.columns, self.rows)
        try:
            self.child = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=self.env,
                start_new_session=True,
                preexec_fn=_become_terminal_owner,
            )
        finally:
            os.close(slave)
        self.master = master
        os.set_blocking(master, False)
        asyncio.get_running_loop().add_reader(master, self._readable, on_output)

    def _readable(self, on_output: Callable[[bytes], None]) -> None:
        try:
            data = os.read(self.master, READ_CHUNK)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if data:
            on_output(data)
        else:
            asyncio.get_running_loop().remove_reader(self.master)

    def drain(self, on_output: Callable[[bytes], None]) -> None:
        """What the app wrote just before it exited, still in the pty's buffer."""
        while self.master >= 0:
            try:
                data = os.read(self.master, READ_CHUNK)
            except OSError:  # EAGAIN: nothing left; EIO: the terminal is closed
                return
            if not data:
                return
            on_output(data)

    def write(self, data: bytes) -> None:
        if self.master >= 0 and data:
            with contextlib.suppress(OSError):
                os.write(self.master, data)

    def resize(self, columns: int, rows: int) -> None:
        if self.master >= 0 and columns > 0 and rows > 0:
            set_size(self.master, columns, rows)

    async def wait(self) -> int:
        assert self.child is not None
        return await self.child.wait()

    def stop(self) -> None:
        """Hang up: the app gets SIGHUP like any program whose terminal went away."""
        if self.child is not None and self.child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.child.pid, signal.SIGHUP)
        self.close()

    def close(self) -> None:
        if self.master >= 0:
            with contextlib.suppress(ValueError, RuntimeError):
                asyncio.get_running_loop().remove_reader(self.master)
            os.close(self.master)
            self.master = -1
