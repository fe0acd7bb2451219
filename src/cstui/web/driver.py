"""The driver of a browser tab's app: Textual's web driver, made to end its process.

The server writes the tab's input to the app's stdin and reads its screen from stdout.
Textual's own driver stops reading when stdin closes but leaves the app running, with no
one to see it and the store still open. This one ends the app when stdin closes (the tab
went away, or the server ended, even by SIGKILL: it is the only writer of that pipe), when
stdout breaks, or on SIGTERM/SIGINT. Once the app is stopping, for whatever reason, the
process is gone at most GRACE_SECONDS later, even if a worker is stuck in a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from textual import messages
from textual.app import App
from textual.drivers.web_driver import WebDriver

GRACE_SECONDS = 5.0  # from "stop" to the process gone; the server waits a little longer
FORCED_EXIT = 1


class SessionDriver(WebDriver):
    """Textual's web driver, plus: the end of the session ends the process."""

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        # Every packet to the server goes through here (the base driver: os.write).
        self._write = partial(_write_or_end, self.fileno, self.end_session)
        self._deadline: threading.Timer | None = None
        self._deadline_lock = threading.Lock()

    def start_application_mode(self) -> None:
        super().start_application_mode()
        if sys.platform != "win32":
            # In place of the base driver's handlers, which only ask the app to exit.
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, self.end_session)

    def run_input_thread(self) -> None:
        super().run_input_thread()  # returns at EOF on stdin, or once the app is stopping
        self.end_session()

    def stop_application_mode(self) -> None:
        super().stop_application_mode()
        self._arm_deadline()

    def end_session(self) -> None:
        """Ask the app to exit (safe from any thread), and make sure the process follows."""
        self._app.post_message(messages.ExitApp())  # ignored by an app already closing
        self._arm_deadline()

    def _arm_deadline(self) -> None:
        with self._deadline_lock:
            if self._deadline is None:
                self._deadline = threading.Timer(GRACE_SECONDS, _force_exit)
                self._deadline.daemon = True  # a process that ends in time is not held back
                self._deadline.start()


def _write_or_end(fd: int, end: Callable[[], None], data: bytes) -> int:
    try:
        return os.write(fd, data)
    except OSError:  # a broken pipe: nobody reads this screen any more
        end()
        return len(data)


def _force_exit() -> None:
    with contextlib.suppress(OSError):
        os.write(2, f"cstui: the app did not stop within {GRACE_SECONDS:g} s; ended\n".encode())
    os._exit(FORCED_EXIT)
