"""The store's changes as they happen: a thread reads the live feed and tells the app which
tickets changed, so the views move in place within moments of a write anywhere.

A local store's feed looks at the log's end twice a second; a team server's is its event
stream (`GET /events`), one connection that stays open. The thread is a daemon: a console
that quits never waits for a read in progress.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cstui.store.base import HelpdeskStore

RETRY_SECONDS = 2.0  # after the feed failed, before it is read again


class LiveFeed:
    """Calls `changed(ticket_id)` (from its own thread) for each event in the log."""

    def __init__(self, store: HelpdeskStore, changed: Callable[[int | None], None]) -> None:
        self.store = store
        self.changed = changed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cstui-live", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for event in self.store.live_events():
                    if self._stop.is_set():
                        return
                    if event is not None:
                        self.changed(event.ticket_id)
            except Exception:  # the store went away or the app closed: try again, or end
                if self._stop.wait(RETRY_SECONDS):
                    return
