"""The first look (`cstui.store.glance`): a local store's agent and first page read with
sqlite3 before SQLAlchemy is loaded are the store's own, and anything unexpected gives none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cstui.domain.rules import Rules
from cstui.store import SqlStore, View, open_store
from cstui.store.glance import first_look
from tests.worlds import copied, seeded_world

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
GREEN = Rules().escalation.green_window
# The views whose first page needs nothing the store works out (an agent's id, the clock).
PLAIN = [v for v in View if v not in (View.MINE, View.SLA_RISK)]


def _clock() -> datetime:
    return NOW


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_world(
        tmp_path_factory.mktemp("glance"), clock=_clock, tickets=300, customers=100, seed=3
    )


@pytest.fixture
def world(template: Path, tmp_path: Path) -> Path:
    return copied(template, tmp_path)


@pytest.fixture
def store(world: Path) -> Iterator[SqlStore]:
    s = open_store(str(world), rules=Rules(), clock=_clock)
    yield s
    s.close()


@pytest.mark.parametrize("view", PLAIN, ids=str)
def test_the_first_look_is_the_stores_first_page_and_agent(
    world: Path, store: SqlStore, view: View
) -> None:
    look = first_look(str(world), "agent01", view, limit=40, green_window=GREEN)

    assert look is not None
    assert look.view is view
    assert look.agent == store.get_agent("agent01")
    assert look.page == store.list_tickets(view, actor="agent01", limit=40)


def test_the_store_goes_on_after_the_first_look_with_its_cursor(
    world: Path, store: SqlStore
) -> None:
    look = first_look(f"sqlite:///{world}", "agent01", View.ALL_OPEN, limit=100, green_window=GREEN)
    assert look is not None and look.page.next_cursor is not None

    after = store.list_tickets(
        View.ALL_OPEN, actor="agent01", limit=100, cursor=look.page.next_cursor
    )
    whole = store.list_tickets(View.ALL_OPEN, actor="agent01", limit=200)

    assert look.page.items + after.items == whole.items
    # what the decoding covers: green tickets with their clock, escalations, owners
    shown = whole.items
    assert any(t.green_channel and t.due.green is not None for t in shown)
    assert any(t.escalations for t in shown)
    assert any(t.owner for t in shown)


def test_the_green_window_is_the_rules(world: Path, store: SqlStore) -> None:
    longer = GREEN + timedelta(hours=1)

    look = first_look(str(world), "agent01", View.GREEN, limit=20, green_window=longer)

    assert look is not None and look.page.items
    assert [t.due.green for t in look.page.items] == [
        t.due.green + timedelta(hours=1)  # type: ignore[operator]
        for t in store.list_tickets(View.GREEN, actor="agent01", limit=20).items
    ]


@pytest.mark.parametrize("view", [View.MINE, View.SLA_RISK], ids=str)
def test_a_view_with_the_stores_parameters_gets_no_first_look(world: Path, view: View) -> None:
    assert first_look(str(world), "agent01", view, limit=40, green_window=GREEN) is None


def test_an_unknown_agent_gets_no_first_look(world: Path) -> None:
    assert first_look(str(world), "nobody", View.UNASSIGNED, limit=40, green_window=GREEN) is None


def test_a_missing_store_gets_none_and_is_not_made(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"

    assert (
        first_look(str(missing), "agent01", View.UNASSIGNED, limit=40, green_window=GREEN) is None
    )
    assert not missing.exists()


def test_a_store_of_another_schema_gets_no_first_look(world: Path) -> None:
    with sqlite3.connect(world) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0009'")
    conn.close()

    assert first_look(str(world), "agent01", View.UNASSIGNED, limit=40, green_window=GREEN) is None


def test_a_file_that_is_no_store_gets_no_first_look(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database, not at all" * 100)

    assert first_look(str(junk), "agent01", View.UNASSIGNED, limit=40, green_window=GREEN) is None


def test_a_server_database_gets_no_first_look() -> None:
    url = "postgresql://localhost/cstui"

    assert first_look(url, "agent01", View.UNASSIGNED, limit=40, green_window=GREEN) is None


def test_the_first_look_writes_nothing(world: Path) -> None:
    before = world.stat().st_mtime_ns, world.read_bytes()

    assert first_look(str(world), "agent01", View.UNASSIGNED, limit=40, green_window=GREEN)

    assert (world.stat().st_mtime_ns, world.read_bytes()) == before
    wal = world.with_name("world.db-wal")  # (SQLite may leave an empty log for WAL readers)
    assert not wal.exists() or wal.stat().st_size == 0
