"""Waiting on a Textual app under test: on what it shows, with deadlines, never on a sleep.

A busy machine makes every step slower, so a test waits for a condition and fails only
when a generous deadline passes; it never asserts on what a fixed pause happened to allow.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from time import monotonic

from textual.app import App
from textual.pilot import Pilot
from textual.timer import Timer
from textual.worker import WorkerCancelled

DEADLINE_SECONDS = 30.0
SHORT_TIMER_SECONDS = 1.0  # the console's own waits are shorter; a toast's are longer


def _busy(app: App[None]) -> bool:
    """A worker not yet finished (one just started is still pending), or a one-shot timer
    still to fire (the console waits a moment for the cursor to rest, or changes to settle,
    before it reads)."""
    if any(not worker.is_finished for worker in app.workers):
        return True
    nodes = [app, *(n for s in app.screen_stack for n in s.walk_children(with_self=True))]
    return any(_waiting(timer) for node in nodes for timer in list(node._timers))


def _waiting(timer: Timer) -> bool:
    """A short one-shot timer still to fire; a toast's (seconds long) is not awaited."""
    task = timer._task
    return (
        timer._repeat == 0
        and timer._interval <= SHORT_TIMER_SECONDS
        and task is not None
        and not task.done()
        and timer._active.is_set()
    )


async def settle(pilot: Pilot[None], seconds: float = DEADLINE_SECONDS) -> None:
    """Until no worker runs or waits, no one-shot timer waits, and their results have
    reached the UI (callbacks start more); at most `seconds`.

    A worker cancelled because a newer one took its place (an exclusive group: counts
    refreshed again, a newer search typed) has ended too: that is the app working, not a
    failure. A worker that failed still raises.
    """
    app = pilot.app
    deadline = monotonic() + seconds
    while monotonic() < deadline:
        for worker in list(app.workers):
            with suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()
        if not _busy(app):
            await pilot.pause()
            if not _busy(app):
                return
        await pilot.pause(0.02)  # a timer's time to come


async def until(
    pilot: Pilot[None], done: Callable[[], object], seconds: float = DEADLINE_SECONDS
) -> None:
    """Let the app work (its timers, workers and messages) until `done()`; fail after
    `seconds`."""
    deadline = monotonic() + seconds
    await settle(pilot)
    while not done():
        assert monotonic() < deadline, f"not done within {seconds:g} s"
        await pilot.pause(0.05)
        await settle(pilot)
