"""The automation methods of `SqlStore` (a mixin, like the channels'): a sweep, a dry run,
and the agents' notifications, each through the facade's transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from cstui.domain.automations import AutomationPolicy, Firing, Notification
from cstui.store.automations import notes
from cstui.store.automations.sweep import (
    SweepReport,
    batches,
    find_due,
    fire_batch,
    save_position,
)

if TYPE_CHECKING:
    from cstui.store.tx import Clock, Tx

P = ParamSpec("P")
T = TypeVar("T")


class AutomationMethods:
    """Sweeping and the notifications feed, for `SqlStore`."""

    if TYPE_CHECKING:
        clock: Clock

        def _writing(
            self, fn: Callable[Concatenate[Tx, P], T], /, *args: P.args, **kwargs: P.kwargs
        ) -> T: ...

        def _reading(
            self, fn: Callable[Concatenate[Tx, P], T], /, *args: P.args, **kwargs: P.kwargs
        ) -> T: ...

    def due_firings(self, policy: AutomationPolicy, *, at: datetime | None = None) -> list[Firing]:
        """What a sweep at `at` (default: the store's clock) would fire; writes nothing."""
        now = at or self.clock()
        return self._reading(find_due, now=now, policy=policy).firings

    def sweep(self, policy: AutomationPolicy, *, at: datetime | None = None) -> SweepReport:
        """Fire everything due at `at` (default: the store's clock), each exactly once."""
        now = at or self.clock()
        found = self._reading(find_due, now=now, policy=policy)
        fired = 0
        for batch in batches(found.firings):
            fired += self._writing(fire_batch, batch, now=now, policy=policy)
        self._writing(save_position, position=found.position, now=found.now)
        return SweepReport(found=len(found.firings), fired=fired, position=found.position)

    def notifications(
        self, *, actor: str, unread_only: bool = False, limit: int = 50
    ) -> list[Notification]:
        """The actor's notifications, newest first."""
        return self._reading(notes.notifications, actor=actor, unread_only=unread_only, limit=limit)

    def notifications_between(
        self, *, actor: str, since: datetime, until: datetime
    ) -> list[Notification]:
        """The actor's notifications made in [since, until], oldest first (at most 500)."""
        return self._reading(notes.notifications_between, actor=actor, since=since, until=until)

    def unread_notifications(self, *, actor: str) -> int:
        return self._reading(notes.unread_count, actor=actor)

    def automations_fired(self, *, since: datetime) -> dict[str, int]:
        """How many times each rule fired from `since` on (the monitor's "today")."""
        return self._reading(notes.fired_since, since=since)

    def mark_read(self, *, actor: str, ids: Iterable[int]) -> int:
        """Mark the actor's notifications `ids` read; how many were unread."""
        return self._writing(notes.mark_read, actor=actor, ids=list(ids))
