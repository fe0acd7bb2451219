"""A full disk during seed, import or a write: one line saying so (exit 6), nothing written.

Two ways to fill a disk, both real errors through the same code paths:
- `CSTUI_SQLITE_MAX_PAGES` caps a SQLite store (`PRAGMA max_page_count`): past it SQLite
  fails every write with SQLITE_FULL, "database or disk is full", exactly as on a full disk.
  It works anywhere, so these tests always run.
- a real small disk (a 2 MB tmpfs), and a PostgreSQL tablespace on one ("could not extend
  file … No space left on device"); see `tests/mounts.py` for when they may skip.

Before, a seed that ran out of room left tickets and events without articles or a search
index, which the next `seed` refused ("the store has agents already").
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.cli.test_cli import assert_one_line_error, first_unassigned, ok, run
from tests.conftest import PG_ADMIN_URL, _autocommit, pg_database, pg_ddl_lock
from tests.mounts import small_disk

FULL = "the disk is full"


def capped(pages: int) -> dict[str, str]:
    return {"CSTUI_SQLITE_MAX_PAGES": str(pages)}


def pages_of(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "cstui.db"
    ok(run(path, "seed", "--tickets", "60", "--kb", "20", "--seed", "7", "--json"))
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(template, tmp_path / template.name))


def test_seed_past_the_cap_writes_nothing_and_can_be_run_again(tmp_path: Path) -> None:
    target = tmp_path / "world" / "cstui.db"
    result = run(target, "seed", "--tickets", "300", extra_env=capped(80))
    assert_one_line_error(result, 6)
    assert f"{FULL} (database or disk is full); nothing was written" in result.stderr
    assert list(target.parent.iterdir()) == []  # no store, no temporary file
    again = json.loads(ok(run(target, "seed", "--tickets", "300", "--kb", "5", "--json")))
    assert again["tickets"] == 300 and again["articles"] == 5


def test_seed_into_an_empty_store_past_the_cap_leaves_it_empty(tmp_path: Path) -> None:
    target = tmp_path / "cstui.db"
    ok(run(target, "init"))
    result = run(target, "seed", "--tickets", "300", extra_env=capped(pages_of(target) + 20))
    assert_one_line_error(result, 6)
    assert FULL in result.stderr
    assert json.loads(ok(run(target, "agents", "list", "--json")))["items"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cstui.db"]
    ok(run(target, "seed", "--tickets", "50", "--kb", "5"))  # not refused: still empty


def test_import_past_the_cap_imports_nothing(db: Path, tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    ok(run(db, "export", str(dump)))
    target = tmp_path / "fresh.db"
    ok(run(target, "init"))
    result = run(target, "import", str(dump), extra_env=capped(pages_of(target) + 20))
    assert_one_line_error(result, 6)
    assert f"{FULL} (database or disk is full); nothing was imported" in result.stderr
    assert ok(run(target, "export", "-")) == ""
    ok(run(target, "import", str(dump)))  # with room, all of it
    assert ok(run(target, "export", "-")) == ok(run(db, "export", "-"))


def test_a_write_past_the_cap_changes_nothing(db: Path) -> None:
    tid = str(first_unassigned(db))
    ok(run(db, "tickets", "take", tid, agent="agent01"))
    before = ok(run(db, "export", "-"))
    long_reply = "您好，" * 12_000  # 108 kB: needs new pages (an argument may have 128 kB)
    result = run(
        db,
        "tickets",
        "reply",
        tid,
        "--text",
        long_reply,
        agent="agent01",
        extra_env=capped(pages_of(db)),
    )
    assert_one_line_error(result, 6)
    assert "database or disk is full" in result.stderr
    assert ok(run(db, "export", "-")) == before


def test_seed_onto_a_real_full_disk_writes_nothing(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "2M") as disk:
        target = disk / "cstui.db"
        result = run(target, "seed", "--tickets", "3000", "--kb", "5")
        assert_one_line_error(result, 6)
        assert f"{FULL} (database or disk is full); nothing was written" in result.stderr
        assert list(disk.iterdir()) == []
        ok(run(target, "seed", "--tickets", "100", "--kb", "5"))  # what fits, fits


@contextmanager
def database_on_a_small_disk(size: str) -> Iterator[str]:
    """A PostgreSQL database whose tablespace is a tmpfs of `size`; its URL."""
    with pg_database(f"cstui_probe_{os.getpid()}") as probe:
        engine = create_engine(probe)
        with engine.connect() as conn:
            data_dir = Path(str(conn.execute(text("SHOW data_directory")).scalar()))
        engine.dispose()
    if not data_dir.exists():
        pytest.skip("the PostgreSQL server is not on this machine: no tablespace here")
    name = f"cstui_full_{os.getpid()}"
    # Not under tmp_path: the server's user must be able to reach the directory.
    mount_point = Path(tempfile.mkdtemp(prefix="cstui-pg-"))
    # Exclusive: while the tablespace is full, no checkpoint succeeds, so no other test may
    # drop a database (see `pg_ddl_lock`).
    try:
        with pg_ddl_lock(exclusive=True), small_disk(mount_point, size) as disk:
            owner = data_dir.stat()
            os.chown(disk, owner.st_uid, owner.st_gid)
            disk.chmod(0o700)
            _autocommit(PG_ADMIN_URL, f"CREATE TABLESPACE {name} LOCATION '{disk}'")
            try:
                _autocommit(PG_ADMIN_URL, f"CREATE DATABASE {name} TABLESPACE {name}")
                yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
            finally:
                _autocommit(PG_ADMIN_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                _autocommit(PG_ADMIN_URL, f"DROP TABLESPACE IF EXISTS {name}")
    finally:
        mount_point.rmdir()


def test_seed_onto_a_full_postgresql_tablespace_leaves_it_empty(tmp_path: Path) -> None:
    with database_on_a_small_disk("12M") as url:
        result = run(tmp_path / "unused.db", "--db", url, "seed", "--tickets", "3000")
        assert_one_line_error(result, 6)
        assert FULL in result.stderr and "No space left on device" in result.stderr
        engine = create_engine(url)
        with engine.connect() as conn:
            for table in ("agents", "customers", "orders", "tickets", "events", "articles"):
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
        engine.dispose()
