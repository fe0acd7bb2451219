"""The monitor through the team server (`cstui monitor --api`): same figures, same actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cstui.domain.metrics import as_dict
from cstui.domain.rules import Rules
from cstui.monitor.app import MonitorConfig, build_monitor
from cstui.monitor.data import gather_floor, gather_recent
from cstui.remote.http_store import HttpStore
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import SqlStore, open_store
from tests.monitor.conftest import NOW, SHANGHAI, fixed_clock
from tests.pilots import settle
from tests.serving import ThreadServer


@pytest.fixture
def served(world: Path) -> Iterator[tuple[str, str, SqlStore]]:
    store = open_store(str(world), rules=Rules(), clock=fixed_clock)
    token = store.issue_token("sup01")
    with ThreadServer(create_app(store, ServerOptions(rate_per_second=0))) as server:
        yield server.url, token, store
    store.close()


async def test_the_monitor_over_http_shows_the_stores_figures_and_acts(
    served: tuple[str, str, SqlStore],
) -> None:
    url, token, store = served
    config = MonitorConfig(actor="sup01", tz=SHANGHAI)
    app = build_monitor(lambda: HttpStore(url, token), config, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.floor is not None and app.recent is not None and app.month is not None
        assert app.floor.depth == gather_floor(store, NOW).depth
        # The same figures as the store's, as the API writes them (shares to 4 places).
        week = gather_recent(store, now=NOW, tz=SHANGHAI).week
        assert as_dict(app.recent.week) == as_dict(week)
        await pilot.press("a", "5")
        grid = app.query_one("#agent-table")
        grid.move_cursor(row=grid.get_row_index("agent02"), animate=False)  # type: ignore[attr-defined]
        await pilot.press("p")
        await settle(pilot)
    assert store.get_agent("agent02").routing_paused
