"""Live rows: tickets written by another process appear in the open view, and leave it when
taken elsewhere, within 2 s, with the cursor kept on the ticket it was on, locally and
through a server's event stream (`backend`)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from time import monotonic

from textual.pilot import Pilot

from cstui.console.app import CstuiApp
from tests.console.conftest import AppFactory
from tests.pilots import settle, until

NOW = "2026-11-20T02:00:00+00:00"
LIVE_SECONDS = 2.0


async def cstui(db: Path, *args: str, stdin: str = "") -> str:
    """`cstui ARGS` as its own process on the same store file (not through the console's
    server): the console hears of it only through the log."""
    env = {**os.environ, "CSTUI_DB": str(db), "CSTUI_NOW": NOW}
    env["CSTUI_CONFIG_FILE"] = str(db.parent / "none.toml")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "cstui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def mails(count: int) -> str:
    return "".join(
        f"From live{i}@example.cn Fri Nov 20 01:00:00 2026\n"
        f"From: New {i} <live{i}@example.cn>\nSubject: Live row {i}\n"
        f"Message-ID: <live-{i}@example.cn>\nContent-Type: text/plain\n\nhello {i}\n\n"
        for i in range(count)
    )


async def shown_within(
    pilot: Pilot[None], done: Callable[[], bool], held: Callable[[], bool]
) -> float:
    """Seconds until `done()`; `held()` must be true at every look on the way."""
    start = monotonic()
    while not done():
        assert held(), "the cursor left its ticket"
        assert monotonic() - start < LIVE_SECONDS, f"not shown within {LIVE_SECONDS:g} s"
        await pilot.pause(0.02)
    assert held()
    return monotonic() - start


def listed(app: CstuiApp, ticket_id: int) -> bool:
    return any(t.id == ticket_id for t in app.queue.window.rows())


def on(app: CstuiApp, ticket_id: int) -> Callable[[], bool]:
    return lambda: app.queue.current is not None and app.queue.current.id == ticket_id


async def test_live_rows_arrive_and_leave_with_the_cursor_kept(
    make_app: AppFactory, world: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        queue = app.queue
        await until(pilot, lambda: len(queue.window) > 5)
        await pilot.press("j", "j", "j")
        await settle(pilot)
        held = queue.current
        assert held is not None
        before = len(queue.window)

        out = await cstui(world, "mail", "ingest", "--json", stdin=mails(3))
        new = [item["ticket_id"] for item in json.loads(out)["items"]]
        assert len(new) == 3
        await shown_within(pilot, lambda: all(listed(app, i) for i in new), on(app, held.id))
        assert len(queue.window) == before + 3
        rows = [t.id for t in queue.window.rows()]
        assert len(rows) == len(set(rows))  # each once

        # Taken elsewhere: one above the cursor leaves, and the cursor stays on its ticket.
        above = next(t.id for t in queue.window.rows()[: queue.cursor])
        await cstui(world, "tickets", "take", str(above), "--as", "agent02")
        await shown_within(pilot, lambda: not listed(app, above), on(app, held.id))
        assert app.ticket_pane.ticket is not None and app.ticket_pane.ticket.id == held.id

        # The cursor's own ticket taken: the cursor goes to the one that followed it, and
        # the ticket pane keeps the ticket open (with its new owner).
        after = queue.window.row(queue.cursor + 1)
        assert after is not None
        await cstui(world, "tickets", "take", str(held.id), "--as", "agent02")
        await shown_within(pilot, lambda: not listed(app, held.id), lambda: True)
        assert on(app, after.id)()
        pane = app.ticket_pane
        await until(pilot, lambda: pane.ticket is not None and pane.ticket.owner == "agent02")
        assert pane.ticket is not None and pane.ticket.id == held.id
