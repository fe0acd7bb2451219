"""Waiting on a Textual app under test: on what it shows, with deadlines, never on a sleep.

A busy machine makes every step slower, so a test waits for a condition and fails only
when a generous deadline passes; it never asserts on what a fixed pause happened to allow.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from time import monotonic

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

DEADLINE_SECONDS = 30.0


async def settle(pilot: Pilot[None], rounds: int = 30) -> None:
    """Until no worker runs and their results have reached the UI (callbacks start more).

    A worker cancelled because a newer one took its place (an exclusive group: counts
    refreshed again, a newer search typed) has ended too: that is the app working, not a
    failure. A worker that failed still raises.
    """
    app = pilot.app
    for _ in range(rounds):
        for worker in list(app.workers):
            with suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return


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
