"""Shared fixtures: an injected clock, and one store fixture run on every backend.

The PostgreSQL store runs against the real server at 127.0.0.1:5432 (trust auth, user
postgres). Where none is reachable those tests skip with the reason, except under CI=true,
where they must run and an unreachable server fails them.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cstui import i18n
from cstui.domain import events
from cstui.domain.model import Role, Shift
from cstui.store import SqlStore, init_store

if TYPE_CHECKING:
    from sqlalchemy import Connection

PG_ADMIN_URL = os.environ.get(
    "CSTUI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class FakeClock:
    """Time that moves only when a test says so (a Friday morning in Shanghai)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 1, 30, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture(autouse=True)
def _own_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing a test does lands in the real user's data (drafts, remembered tokens), and
    the user's own config file (a language, a theme) never reaches a test."""
    monkeypatch.setenv("CSTUI_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("CSTUI_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    """The language is the process's: a command run in-process with `--lang zh` would
    otherwise hand every later test on that worker a Chinese console."""
    yield
    i18n.set_language("en")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _autocommit(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE and DROP DATABASE need that)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@contextmanager
def pg_ddl_lock(*, exclusive: bool = False) -> Iterator[None]:
    """A lock shared by every test process on this machine around CREATE / DROP DATABASE.

    DROP DATABASE asks for a checkpoint, and a checkpoint fails while a tablespace is full:
    the full-disk test holds this lock exclusively while it fills one, so that no other
    test (in this run or another) drops a database meanwhile.
    """
    with open(Path(tempfile.gettempdir()) / "cstui-test-pg-ddl.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def pg_database(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; a skip when none is reachable
    (never under CI)."""
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    try:
        with pg_ddl_lock():
            _autocommit(PG_ADMIN_URL, drop, f'CREATE DATABASE "{name}"')
    except Exception as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with pg_ddl_lock():
            _autocommit(PG_ADMIN_URL, drop)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """This run's database (one per xdist worker), dropped when the run ends."""
    with pg_database(f"cstui_test_{os.getpid()}") as url:
        yield url


# Everything of the public schema a test could change, as one digest: tables and their
# columns, indexes, constraints, triggers, functions, privileges and the schema revision.
_SCHEMA_DIGEST = """
SELECT md5(coalesce(string_agg(item, ';' ORDER BY item), '')) FROM (
    SELECT 'r ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(c.relacl::text, '')
        || ' ' || coalesce(c.reloptions::text, '') || ' ' || coalesce((
            SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                || ' ' || a.attnotnull::text
                || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
                ',' ORDER BY a.attnum)
            FROM pg_attribute a
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS item
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'i ' || pg_get_indexdef(i.indexrelid) FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'k ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT 't ' || pg_get_triggerdef(oid) || ' ' || tgenabled::text FROM pg_trigger
    WHERE NOT tgisinternal
    UNION ALL
    SELECT 'f ' || oid::regprocedure::text || ' ' || md5(prosrc) FROM pg_proc
    WHERE pronamespace = 'public'::regnamespace
) AS schema_items
"""
_EMPTY_TABLES = """
DO $$ DECLARE s record; BEGIN
    EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('%I', tablename), ', ')
        || ' RESTART IDENTITY CASCADE' FROM pg_tables
        WHERE schemaname = 'public' AND tablename <> 'alembic_version');
    FOR s IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
        EXECUTE format('ALTER SEQUENCE %I RESTART', s.sequencename);
    END LOOP;
END $$
"""
_HEAD_SCHEMA: dict[str, str] = {}  # a database's digest when this process last built it


def _schema_digest(conn: Connection) -> str:
    from sqlalchemy import text

    version = None
    if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is not None:
        versions = text("SELECT string_agg(version_num, ',') FROM alembic_version")
        version = conn.execute(versions).scalar()
    return f"{version} {conn.execute(text(_SCHEMA_DIGEST)).scalar()}"


def _reset_pg(url: str) -> None:
    """An empty store's database: the current schema with no rows in it.

    Building the schema (every migration) costs 0.2-0.75 s, emptying its tables ~30 ms: the
    schema is built again only when a test has changed it since (a trigger added, a
    migration undone) or another process built it. One connection looks and empties."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if _HEAD_SCHEMA.get(url) == _schema_digest(conn):
                conn.execute(text(_EMPTY_TABLES))
                return
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        init_store(url).close()
        with engine.connect() as conn:
            _HEAD_SCHEMA[url] = _schema_digest(conn)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[SqlStore]:
    """An empty store with a team: agents alice, bob, carol and supervisor sue."""
    if request.param == "sqlite":
        target = str(tmp_path / "cstui.db")
    else:
        target = request.getfixturevalue("pg_url")
        _reset_pg(target)
    s = init_store(target, clock=clock)
    s.add_agent("alice", Role.AGENT, Shift.MORNING)
    s.add_agent("bob", Role.AGENT, Shift.MORNING)
    s.add_agent("carol", Role.AGENT, Shift.EVENING)
    s.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    yield s
    assert_the_log_decodes(s)
    s.close()


def assert_the_log_decodes(store: SqlStore) -> None:
    """Every event the store holds fits its kind's payload class (`domain.events`): what
    a test's writes logged is what the metrics can read."""
    for e in store.events():
        events.payload(e)
