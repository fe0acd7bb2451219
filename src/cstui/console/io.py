"""The console's IO: every store call runs in a thread worker; its answer comes back to the
UI thread.

The app never blocks on the store, and an error becomes a notification, never a crash. An
unreachable store (a team server that went away) is said once and kept in the status bar
until a call succeeds again.

Some loads matter only for their newest request: the open ticket, the customer card, the
counts, a knowledge search, the presence heartbeat. Those run one at a time per kind; one
asked for meanwhile waits and runs next (replacing any that waited before it). So answers
arrive in the order they were asked, and a slow store is not asked the same thing over and
over. (An `exclusive` Textual worker would not do: cancelling a thread worker cancels only
the wait for it, so the thread's answer still arrives, maybe after a newer one, and whoever
waits on the cancelled worker gets `WorkerCancelled`.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from textual import work

from cstui.console.safe import SafeApp
from cstui.errors import CstuiError, Unavailable
from cstui.i18n import t
from cstui.store.base import HelpdeskStore

T = TypeVar("T")
Failed = Callable[[CstuiError], None]


class StoreIO(SafeApp):
    """The store, called from workers; whether it answers (`_offline` says why not)."""

    def __init__(self, open_store: Callable[[], HelpdeskStore]) -> None:
        super().__init__()
        self.open_store = open_store
        self.store: HelpdeskStore | None = None
        self._offline: str | None = None  # why the store is unreachable, while it is
        self._newest_running: set[str] = set()  # kinds of newest-only load with one under way
        self._newest_waiting: dict[str, Callable[[], object]] = {}  # the next one of each kind

    def _io(
        self,
        work: Callable[[], T],
        done: Callable[[T], None],
        *,
        failed: Failed | None = None,
        newest: str | None = None,
    ) -> None:
        """Run `work` in a thread; `done` (or the error handler) runs on the UI thread.

        `newest` names a kind of load of which only the newest request matters: one runs
        at a time, and this one waits for it (see the module's docstring).
        """
        if newest is None:
            self._call(work, done, failed, None)
        elif newest in self._newest_running:
            self._newest_waiting[newest] = partial(self._call, work, done, failed, newest)
        else:
            self._newest_running.add(newest)
            self._call(work, done, failed, newest)

    @work(thread=True, exclusive=False, group="store", exit_on_error=False, description="store")
    def _call(
        self,
        work: Callable[[], T],
        done: Callable[[T], None],
        failed: Failed | None,
        newest: str | None,
    ) -> None:
        answer: Callable[[], None]
        try:
            result = work()
        except Unavailable as exc:
            answer = partial(self._went_offline, exc, failed)
        except CstuiError as exc:
            answer = partial(failed or self._failed, exc)
        except Exception as exc:  # store errors never crash the console
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            answer = partial(self._failed, CstuiError(text))
        else:
            answer = partial(self._back_online, done, result)
        self.call_from_thread(self._answered, newest, answer)

    def _answered(self, newest: str | None, answer: Callable[[], None]) -> None:
        """On the UI thread: start the load that waited for this one, then deliver."""
        if newest is not None:
            waiting = self._newest_waiting.pop(newest, None)
            if waiting is None:
                self._newest_running.discard(newest)
            else:
                waiting()
        answer()

    def _failed(self, exc: CstuiError) -> None:
        self.notify(str(exc), title=t("fail.title"), severity="error", timeout=6)

    def _went_offline(self, exc: Unavailable, failed: Failed | None) -> None:
        """The store (a team server) is unreachable: said once and kept in the status bar,
        not a toast for every refresh while it lasts."""
        first = self._offline is None
        self._offline = str(exc)
        if failed is not None:
            failed(exc)
        elif first:
            self._failed(exc)
        self._draw_status()

    def _back_online(self, done: Callable[[T], None], result: T) -> None:
        if self._offline is not None:
            self._offline = None
            self._draw_status()
            self._reconnected()
        done(result)

    def _store_failed(self, exc: CstuiError) -> None:
        """The store could not be opened. Said where it stays visible: the status bar, not
        only a passing toast."""
        self._offline = str(exc)
        self._failed(exc)
        self._draw_status()

    def _draw_status(self) -> None:
        """Hook: what the status bar shows has changed (the app draws it)."""

    def _reconnected(self) -> None:
        """Hook: the store answers again after it was unreachable."""
