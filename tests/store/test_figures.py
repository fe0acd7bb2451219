"""The kept figures against the replay: random histories appended through the store, in
shuffled order and several events per transaction, on SQLite and PostgreSQL.

Three ways to the same figures must agree for every window, on the hour or not: the sums
kept as the events were appended, the sums rebuilt from the log alone, and
`metrics.compute` / `metrics.by_agent` replaying the log. Every figure is exact, so they are
compared with ==.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cstui.domain import metrics as m
from cstui.domain.model import Event
from cstui.store import init_store
from cstui.store.schema import METRIC_ANSWERS, METRIC_HOURS, METRIC_TICKETS
from cstui.store.sql import SqlStore
from tests.conftest import _autocommit, pg_database
from tests.unit.test_metrics import T0, histories

Window = tuple[datetime | None, datetime | None]


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("figures") / "template.db"
    init_store(str(path)).close()
    return path


@pytest.fixture(scope="module")
def pg_template() -> Iterator[str]:
    with pg_database(f"figures_template_{os.getpid()}") as url:
        init_store(url).close()
        yield url


def _sqlite_stores(template: Path, tmp: Path) -> Callable[[], SqlStore]:
    made = iter(range(10**6))

    def fresh() -> SqlStore:
        path = tmp / f"s{next(made)}.db"
        shutil.copy(template, path)
        return SqlStore.open(str(path))

    return fresh


def _pg_stores(template: str) -> Callable[[], SqlStore]:
    admin = template.rsplit("/", 1)[0] + "/postgres"
    name = f"figures_example_{os.getpid()}"
    source = template.rsplit("/", 1)[1]

    def fresh() -> SqlStore:
        _autocommit(
            admin,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}" TEMPLATE "{source}"',
        )
        return SqlStore.open(template.rsplit("/", 1)[0] + f"/{name}")

    return fresh


def _append(store: SqlStore, history: list[Event], order: list[int], cuts: list[int]) -> None:
    """The events in `order`, through the store's own append, `cuts` marking transactions."""
    chunks: list[list[Event]] = [[]]
    for n, index in enumerate(order):
        if n in cuts and chunks[-1]:
            chunks.append([])
        chunks[-1].append(history[index])
    for chunk in chunks:
        with store.transaction():
            for e in chunk:
                store._writing(
                    lambda tx, e=e: tx.event(
                        e.kind, ticket_id=e.ticket_id, actor=e.actor, at=e.at, old=e.old, new=e.new
                    )
                )


def _tables(store: SqlStore) -> dict[str, Any]:
    with store.engine.connect() as conn:
        hours = [r for r in conn.execute(select(METRIC_HOURS)) if any(r[2:])]
        return {
            "tickets": sorted(map(tuple, conn.execute(select(METRIC_TICKETS)))),
            "answers": sorted(map(tuple, conn.execute(select(METRIC_ANSWERS)))),
            "hours": sorted(map(tuple, hours)),
        }


def _check(store: SqlStore, windows: list[Window]) -> None:
    log = list(store.events())
    for since, until in windows:
        got = store.quality(since=since, until=until)
        assert got.team == m.compute(log, since=since, until=until), (since, until)
        assert dict(got.agents) == m.by_agent(log, since=since, until=until), (since, until)


_instant = st.integers(0, 20 * 24 * 60).map(lambda minutes: T0 + timedelta(minutes=minutes))
_windows = st.lists(st.tuples(st.none() | _instant, st.none() | _instant), min_size=1, max_size=6)


@st.composite
def _runs(draw: Any) -> tuple[list[Event], list[int], list[int], list[Window]]:
    history = draw(histories())
    order = draw(st.permutations(range(len(history))))  # history arriving late, too
    cuts = draw(st.lists(st.integers(0, max(0, len(history) - 1)), max_size=8))
    return history, order, cuts, draw(_windows)


def _property(fresh: Callable[[], SqlStore], examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(_runs())
    def run(case: tuple[list[Event], list[int], list[int], list[Window]]) -> None:
        history, order, cuts, windows = case
        store = fresh()
        try:
            _append(store, history, order, cuts)
            windows = [*windows, (None, None), (T0, T0 + timedelta(days=21))]
            _check(store, windows)  # kept as they came == replay
            kept = _tables(store)
            store.rebuild_figures()
            assert _tables(store) == kept  # rebuilt == kept
            _check(store, windows)
        finally:
            store.close()

    run()


def test_kept_rebuilt_and_replayed_figures_agree_on_sqlite(
    sqlite_template: Path, tmp_path: Path
) -> None:
    _property(_sqlite_stores(sqlite_template, tmp_path), examples=60)


@pytest.mark.postgres
def test_kept_rebuilt_and_replayed_figures_agree_on_postgresql(pg_template: str) -> None:
    try:
        _property(_pg_stores(pg_template), examples=20)
    finally:
        admin = pg_template.rsplit("/", 1)[0] + "/postgres"
        _autocommit(admin, f'DROP DATABASE IF EXISTS "figures_example_{os.getpid()}" WITH (FORCE)')


def test_a_window_inside_one_hour_and_one_cut_off_the_hour_read_the_ends(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """Hand-made: a ticket created at :10 and resolved at :50 of one hour."""
    from tests.unit.test_metrics import Log

    log = Log().created(1, T0 + timedelta(minutes=10)).take(1, T0 + timedelta(minutes=20), "ann")
    log.resolve(1, T0 + timedelta(minutes=50)).csat(1, T0 + timedelta(minutes=55), 5)
    store = _sqlite_stores(sqlite_template, tmp_path)()
    try:
        _append(store, log.events, list(range(len(log.events))), [])
        inner = store.quality(since=T0 + timedelta(minutes=5), until=T0 + timedelta(minutes=30))
        assert (inner.team.tickets_created, inner.team.tickets_resolved) == (1, 0)
        late = store.quality(since=T0 + timedelta(minutes=30), until=None)
        assert (late.team.tickets_created, late.team.tickets_resolved) == (0, 1)
        assert late.team.csat_responses == 1 and late.agents["ann"].csat == 1.0
        _check(store, [(T0 + timedelta(minutes=5), T0 + timedelta(minutes=30))])
    finally:
        store.close()
