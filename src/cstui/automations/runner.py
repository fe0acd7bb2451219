"""The sweeper: one leader sweeps every `interval`, the others stand by.

Which process leads is decided by a lock (`channels.locks.leader_lock`): on PostgreSQL a
session advisory lock, released by the server as soon as the leader's connection closes (a
kill -9 closes it), with TCP keepalives for a leader whose machine vanished; on SQLite a
file lock beside the database, which also keeps two consoles or runners on one file from
sweeping together. A standby tries the lock every `STANDBY_SECONDS`, so it takes over
within that and one interval.

The lock only keeps the work from doubling: two sweeps at once would still fire each key
once (`store.automations`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from cstui.channels.locks import MailboxLock
from cstui.domain.automations import AutomationPolicy
from cstui.errors import CstuiError
from cstui.store.automations.sweep import SweepReport
from cstui.store.sql import SqlStore

# Under `cstui.channels`: the workers' log setup (`cli.channels.setup_logging`) covers it.
log = logging.getLogger("cstui.channels.automations")

STANDBY_SECONDS = 5.0


@dataclass
class Sweeper:
    store: SqlStore
    policy: AutomationPolicy
    lock: MailboxLock
    standby_seconds: float = STANDBY_SECONDS
    sweeps: int = 0
    fired: int = 0
    leading: bool = field(default=False, init=False)

    def run(self, stop: threading.Event) -> None:
        """Sweep while leading, stand by otherwise, until `stop` is set."""
        try:
            while not stop.is_set():
                if not self.lock.acquire():
                    if self.leading:
                        log.warning("automations: lost the lead: standing by")
                    self.leading = False
                    stop.wait(self.standby_seconds)
                    continue
                if not self.leading:
                    log.info("automations: this process sweeps")
                    self.leading = True
                self.sweep_once()
                stop.wait(self.policy.interval.total_seconds())
        finally:
            self.lock.release()

    def sweep_once(self) -> SweepReport | None:
        """One sweep, if this process still holds the lead."""
        if not self.lock.held():
            return None
        try:
            report = self.store.sweep(self.policy)
        except CstuiError as exc:
            log.warning("automations: sweep failed: %s", exc)
            return None
        self.sweeps += 1
        self.fired += report.fired
        if report.fired:
            log.info("automations: %d fired (%d found due)", report.fired, report.found)
        return report
