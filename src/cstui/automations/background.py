"""The sweeper inside an open console or monitor on a local store.

The screen never sweeps on its UI thread: a worker thread opens a store of its own and runs
the same `Sweeper` as `cstui automations run`, sweeping only while it holds the leader lock
(a file lock beside a SQLite database, an advisory lock on PostgreSQL). A second console on
the same file tries the lock every few seconds and stays standby until the leader quits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from cstui.automations.runner import STANDBY_SECONDS, Sweeper
from cstui.channels.locks import leader_lock
from cstui.domain.automations import AutomationPolicy
from cstui.store.sql import SqlStore

log = logging.getLogger("cstui.channels.automations")

# Quitting waits this long for a sweep in flight; a sweep's transaction is short.
STOP_SECONDS = 10.0


class InScreen:
    """A sweeper thread for the life of one screen: `start()` after the first paint,
    `stop()` on quit (which also releases the lead)."""

    def __init__(
        self,
        open_store: Callable[[], SqlStore],
        policy: AutomationPolicy,
        *,
        standby_seconds: float = STANDBY_SECONDS,
    ) -> None:
        self._open, self.policy, self.standby_seconds = open_store, policy, standby_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cstui-automations", daemon=True)
        self.sweeper: Sweeper | None = None

    @property
    def leading(self) -> bool:
        return self.sweeper is not None and self.sweeper.leading

    def start(self) -> InScreen:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STOP_SECONDS)

    def _run(self) -> None:
        try:
            store = self._open()  # opened here: opening is I/O, and the thread owns it
        except Exception:  # the screen goes on without automations
            log.exception("automations: the store did not open")
            return
        try:
            lock = leader_lock(store.engine, "automations")
            self.sweeper = Sweeper(store, self.policy, lock, standby_seconds=self.standby_seconds)
            self.sweeper.run(self._stop)
        except Exception:  # a bug must not end the screen; the next console may lead
            log.exception("automations: the sweeper stopped")
        finally:
            store.close()


def start_in_screen(
    open_store: Callable[[], SqlStore], policy: AutomationPolicy
) -> Callable[[], Callable[[], None]]:
    """What a console or monitor calls after its first paint: it starts the sweeper and
    returns the function that stops it."""
    return lambda: InScreen(open_store, policy).start().stop
