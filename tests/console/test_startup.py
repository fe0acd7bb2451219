"""Start-up mechanics: the collector's pause ends with the store open; the footer, rebuilt
once per burst of binding changes, still shows the keys in force; the first look's rows
show before the store is open, and the store takes over from them."""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from time import monotonic

import pytest
from textual.pilot import Pilot

from cstui.console.app import CstuiApp, StatusBar, build_app
from cstui.console.footer import KeysFooter
from cstui.domain.rules import Rules
from cstui.store import SqlStore, open_store
from cstui.store.base import FirstLook, HelpdeskStore, View
from cstui.store.glance import first_look
from tests.console.conftest import AppFactory, console_config, fixed_clock
from tests.pilots import DEADLINE_SECONDS, settle, until

GREEN = Rules().escalation.green_window


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """As `cstui` starts the console: the cyclic collector off (see `cstui.__main__`)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def footer_keys(app: CstuiApp) -> list[str]:
    """The footer's keys, without the command palette's (the footer adds it itself)."""
    keys = app.query_one(KeysFooter).query("FooterKey").exclude(".-command-palette")
    return [key.key for key in keys]


def shown_bindings(app: CstuiApp) -> list[str]:
    """The keys the footer ought to show: the focused widget's and the app's shown ones."""
    seen: dict[str, str] = {}
    for _node, binding, _enabled, _tip in app.screen.active_bindings.values():
        if binding.show:
            seen.setdefault(binding.action, binding.key)
    return list(seen.values())


@pytest.mark.usefixtures("collector_paused")
async def test_the_collector_runs_again_once_the_store_is_open(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.store is not None)
        assert gc.isenabled()


async def test_the_footer_shows_the_keys_in_force_after_each_focus_change(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: footer_keys(app) == shown_bindings(app))
        for key in ("4", "1", "2", "escape"):
            await pilot.press(key)
            await until(pilot, lambda: footer_keys(app) == shown_bindings(app))


def _first_look(world: Path) -> Callable[[View, int], FirstLook | None]:
    def look(view: View, limit: int) -> FirstLook | None:
        return first_look(str(world), "agent01", view, limit=limit, green_window=GREEN)

    return look


async def _shown(pilot: Pilot[None], done: Callable[[], object]) -> None:
    """`until` without waiting for the workers (the store's opening is held back here)."""
    deadline = monotonic() + DEADLINE_SECONDS
    while not done():
        assert monotonic() < deadline, "not shown in time"
        await pilot.pause(0.05)


def _held_app(world: Path, tmp_path: Path, release: threading.Event) -> CstuiApp:
    """The console with a first look, whose store opens only once `release` is set."""

    def open_when_released() -> HelpdeskStore:
        assert release.wait(DEADLINE_SECONDS)
        return open_store(str(world), rules=Rules(), clock=fixed_clock)

    config = console_config(world, tmp_path, first_look=_first_look(world))
    return build_app(open_when_released, config, clock=fixed_clock)


async def test_the_first_look_shows_rows_before_the_store_opens_and_the_store_takes_over(
    world: Path, store: SqlStore, tmp_path: Path
) -> None:
    release = threading.Event()
    app = _held_app(world, tmp_path, release)
    first = store.list_tickets(View.UNASSIGNED, actor="agent01", limit=100).items
    async with app.run_test(size=(120, 40)) as pilot:
        await _shown(pilot, lambda: app.queue.window.started)
        status = str(app.query_one(StatusBar).render())
        assert app.store is None  # still opening
        assert list(app.queue.window.rows()) == list(first)
        assert status.startswith("cstui │") and "(agent01)" in status
        for _ in range(3):
            await pilot.press("j")
        await _shown(pilot, lambda: app.queue.cursor == 3)
        # Meanwhile the first row is taken elsewhere: the store reads the rows again.
        store.take(first[0].id, actor="agent02")

        release.set()
        await until(pilot, lambda: app.ticket_pane.ticket is not None)

        assert app.store is not None
        rows = store.list_tickets(View.UNASSIGNED, actor="agent01", limit=100).items
        assert list(app.queue.window.rows()) == list(rows)
        assert app.queue.current == first[3]  # the cursor stayed on its ticket (one row up)
        assert app.queue.cursor == 2
        assert app.ticket_pane.ticket.id == first[3].id


async def test_the_store_pages_on_after_the_first_look(
    world: Path, store: SqlStore, tmp_path: Path
) -> None:
    release = threading.Event()
    app = _held_app(world, tmp_path, release)
    whole = store.list_tickets(View.UNASSIGNED, actor="agent01", limit=500).items
    assert len(whole) > 100  # more than the first look's page
    async with app.run_test(size=(120, 40)) as pilot:
        await _shown(pilot, lambda: app.queue.window.started)
        assert len(app.queue.window) == 100
        release.set()
        await until(pilot, lambda: app.store is not None)

        await pilot.press("end")
        await until(pilot, lambda: len(app.queue.window) == len(whole))

        assert list(app.queue.window.rows()) == list(whole)


async def test_a_first_look_that_fails_leaves_the_console_to_its_store(
    make_app: AppFactory, store: SqlStore
) -> None:
    def broken(_view: View, _limit: int) -> FirstLook | None:
        raise sqlite3.OperationalError("disk I/O error")

    app = make_app(first_look=broken)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.queue.window.started and app.agent is not None)

        assert app.store is not None
        first = store.list_tickets(View.UNASSIGNED, actor="agent01", limit=100).items
        assert [t.id for t in app.queue.window.rows()][:100] == [t.id for t in first]
