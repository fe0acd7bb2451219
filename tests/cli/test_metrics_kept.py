"""`cstui metrics` reads the figures the store keeps: the seed and `cstui import` fill
them, `cstui metrics rebuild` makes them again, and each equals the replay of the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cstui.domain import metrics as m
from cstui.store.sql import SqlStore
from tests.cli.test_cli import ok, run


def _replayed(db: Path) -> dict[str, object]:
    store = SqlStore.open(str(db))
    try:
        events = list(store.events())
    finally:
        store.close()
    agents = {k: m.as_dict(v) for k, v in sorted(m.by_agent(events).items())}
    return {"team": m.as_dict(m.compute(events)), "agents": agents}


def _kept(db: Path, *args: str) -> dict[str, object]:
    return dict(json.loads(ok(run(db, "metrics", "--by-agent", "--json", *args))))


def test_seeded_imported_and_rebuilt_figures_equal_the_replay(tmp_path: Path) -> None:
    db, copy, dump = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "dump.jsonl"
    ok(run(db, "seed", "--tickets", "300", "--seed", "5"))
    seeded = _kept(db)
    assert seeded == _replayed(db)
    assert seeded["team"]["tickets_created"] == 300  # type: ignore[index]
    ok(run(db, "export", str(dump)))
    ok(run(copy, "import", str(dump)))
    assert _kept(copy) == seeded
    made = json.loads(ok(run(db, "metrics", "rebuild", "--json")))
    assert made["tickets"] >= 300
    assert _kept(db) == seeded
    window = ("--since", "2026-11-10T03:30:00+08:00", "--until", "2026-11-19")
    store = SqlStore.open(str(db))
    try:
        events = list(store.events())
    finally:
        store.close()
    since = datetime.fromisoformat(window[1])
    until = datetime(2026, 11, 19, tzinfo=UTC)  # a date without a zone is UTC
    expected = m.as_dict(m.compute(events, since=since, until=until))
    assert _kept(db, *window)["team"] == expected


def test_rebuild_refuses_a_server(tmp_path: Path) -> None:
    result = run(tmp_path / "x.db", "--api", "http://127.0.0.1:9", "metrics", "rebuild")
    assert result.returncode == 2 and "metrics rebuild" in result.stderr
