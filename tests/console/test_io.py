"""The console's store calls (`StoreIO`), on a bare app with real worker threads.

A load that matters only for its newest request (the open ticket, the counts …) runs one
at a time: asked for again meanwhile, the newest waits and runs next, older waiting ones
never run, and answers arrive in the order asked. Nothing is cancelled, so whoever waits on
the workers (a test's `settle`) is never told `WorkerCancelled`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from time import monotonic

from cstui.console.io import StoreIO
from cstui.errors import CstuiError
from cstui.store.base import HelpdeskStore

DEADLINE = 10.0  # seconds; each step takes milliseconds


class Bare(StoreIO):
    """Only the IO layer: no panes, no store (the tests give each call its work)."""

    def __init__(self) -> None:
        super().__init__(self._no_store)

    @staticmethod
    def _no_store() -> HelpdeskStore:
        raise AssertionError("not opened here")


def load(name: str, started: list[str], gate: threading.Event | None = None) -> Callable[[], str]:
    def work() -> str:
        started.append(name)
        if gate is not None:
            assert gate.wait(DEADLINE)
        return name

    return work


async def until(done: Callable[[], bool]) -> None:
    end = monotonic() + DEADLINE
    while not done():
        assert monotonic() < end, "timed out"
        await asyncio.sleep(0.01)


async def all_done(app: Bare) -> None:
    """Every worker finished (waiting on them raises if one was cancelled)."""
    end = monotonic() + DEADLINE
    while any(w.is_running for w in app.workers):
        assert monotonic() < end, "timed out"
        await app.workers.wait_for_complete()
        await asyncio.sleep(0.01)


async def test_the_newest_request_waits_for_the_one_under_way_and_older_ones_never_run() -> None:
    app = Bare()
    gate = threading.Event()
    started: list[str] = []
    answers: list[str] = []
    async with app.run_test():
        app._io(load("first", started, gate), answers.append, newest="counts")
        await until(lambda: started == ["first"])
        app._io(load("second", started), answers.append, newest="counts")
        app._io(load("third", started), answers.append, newest="counts")
        app._io(load("other kind", started), answers.append, newest="ticket")
        await until(lambda: "other kind" in answers)
        assert started == ["first", "other kind"]  # the counts asked again wait
        gate.set()
        await all_done(app)
        assert answers == ["other kind", "first", "third"]
        assert started == ["first", "other kind", "third"]


async def test_a_failed_load_lets_the_next_one_run() -> None:
    app = Bare()
    gate = threading.Event()
    started: list[str] = []
    answers: list[str] = []
    failures: list[str] = []

    def refused() -> str:
        started.append("refused")
        assert gate.wait(DEADLINE)
        raise CstuiError("no")

    async with app.run_test():
        app._io(refused, answers.append, failed=lambda e: failures.append(str(e)), newest="ticket")
        await until(lambda: started == ["refused"])
        app._io(load("again", started), answers.append, newest="ticket")
        gate.set()
        await all_done(app)
        assert failures == ["no"] and answers == ["again"]
        app._io(load("later", started), answers.append, newest="ticket")  # not stuck
        await until(lambda: answers == ["again", "later"])
