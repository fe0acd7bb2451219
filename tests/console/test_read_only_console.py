"""The console browses a store on a read-only mount: the queue, a ticket, the next one.

Opening a ticket also writes the agent's presence; on a store open for reading only there is
none to keep, so browsing must not fail (nor say the store went away) because of it. A
change the agent tries is refused with the store's one line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cstui.console.app import ConsoleConfig, build_app
from cstui.domain.rules import Rules
from cstui.store import open_store
from cstui.store.base import View
from tests.console.conftest import SHANGHAI, fixed_clock
from tests.console.test_workflows import errors, shown
from tests.mounts import read_only_view
from tests.pilots import settle


async def test_the_console_browses_a_read_only_store(world: Path, tmp_path: Path) -> None:
    source = tmp_path / "store"
    source.mkdir()
    shutil.copy(world, source / world.name)
    with read_only_view(source, tmp_path / "ro") as view:
        target = str(view / world.name)
        config = ConsoleConfig(
            actor="agent01",
            store_key=target,
            drafts_dir=tmp_path / "drafts",
            tz=SHANGHAI,
            themes_dir=tmp_path / "themes",
        )
        app = build_app(lambda: open_store(target, rules=Rules(), clock=fixed_clock), config)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.agent is not None and app.agent.name == "agent01"
            assert app.store is not None
            first = app.store.list_tickets(View.UNASSIGNED, actor="agent01", limit=2).items
            assert shown(app).id == first[0].id
            await pilot.press("down")
            await settle(pilot)
            assert shown(app).id == first[1].id
            assert errors(app) == [] and app._offline is None
            await pilot.press("t")  # a change: refused, in one line
            await settle(pilot)
            assert any("readonly" in m for m in errors(app)), app.notices
            assert shown(app).owner is None
