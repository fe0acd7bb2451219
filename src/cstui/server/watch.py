"""One look at the event log's end per poll, shared by every live stream of a process.

Without it, each open `GET /events` (one per console) would query the log every poll
interval; with it an idle stream costs nothing, and a write wakes every stream at once. The
log is still the source: a write made through another server process is seen at the next
poll, whichever process made it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio

log = logging.getLogger("cstui.server")

# A stream looks at the log itself after this long even if no poll woke it: a stuck poller
# slows the feed down, it never stops it.
FALLBACK_SECONDS = 5.0


class LogWatcher:
    """Polls `latest()` (blocking; run in a thread) while at least one stream is open."""

    def __init__(self, latest: Callable[[], int], poll_seconds: float) -> None:
        self._latest_of = latest
        self.poll_seconds = poll_seconds
        self.latest = 0
        self._changed = asyncio.Event()
        self._streams = 0
        self._task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Keep the poller running while the caller's stream is open."""
        self._streams += 1
        if self._task is None:
            self._task = asyncio.create_task(self._poll())
        try:
            yield
        finally:
            self._streams -= 1
            if self._streams == 0 and self._task is not None:
                self._task.cancel()
                self._task = None

    async def wait_past(self, cursor: int) -> None:
        """Return once the log has an event after `cursor` (or after the fallback time)."""
        with anyio.move_on_after(max(FALLBACK_SECONDS, 2 * self.poll_seconds)):
            while self.latest <= cursor:
                await self._changed.wait()

    async def _poll(self) -> None:
        while True:
            try:
                latest = await anyio.to_thread.run_sync(self._latest_of)
            except Exception as exc:  # the store is down: keep trying, streams fall back
                log.warning("event feed: %s", exc)
            else:
                if latest != self.latest:
                    self.latest = latest
                    self._changed.set()
                    self._changed = asyncio.Event()
            await asyncio.sleep(self.poll_seconds)
