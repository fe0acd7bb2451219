"""Start-up mechanics: the collector's pause ends with the store open, and the footer,
rebuilt once per burst of binding changes, still shows the keys in force."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from cstui.console.app import CstuiApp
from cstui.console.footer import KeysFooter
from tests.console.conftest import AppFactory
from tests.pilots import settle, until


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
