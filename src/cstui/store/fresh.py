"""Filling an empty store whole or not at all (`cstui seed`, the demo world).

A bulk load writes in many transactions, from several processes, so a failure half-way (a
full disk, Ctrl+C) would leave a half-built store that a second attempt then refuses.
Instead:

- SQLite: the store is built in a temporary file beside the target and appears there only
  whole: renamed into place when there was no store, or copied into the empty store there
  in one transaction (SQLite's backup), which whoever has it open sees at once. A failure
  removes the temporary file and leaves the target as it was.
- PostgreSQL: built in place, under an advisory lock that keeps a second builder out; a
  failure empties again the tables that were empty before. Only a process killed outright
  can leave a partial load there.

A full disk (or a read-only store) is reported as one line saying so.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from graphlib import TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from cstui.errors import Conflict
from cstui.store.bulk import require_empty
from cstui.store.engine import (
    BUSY_TIMEOUT_MS,
    SINGLE_STATEMENTS,
    display_url,
    normalise_url,
    sqlite_path,
    told_whole,
)

if TYPE_CHECKING:
    from cstui.domain.rules import Rules
    from cstui.store.sql import Clock, SqlStore

_LOCK_KEY = 0x63737475  # "cstu": the PostgreSQL advisory lock of a store being built


@contextmanager
def fresh_store(
    target: str, *, rules: Rules | None = None, clock: Clock | None = None
) -> Iterator[SqlStore]:
    """An empty store to fill; what is filled appears at `target` only if all of it is."""
    url = normalise_url(target)
    path = sqlite_path(url)
    building = _beside(path, rules, clock) if path else _in_place(target, rules, clock)
    with told_whole(f"store {display_url(url)}", "nothing was written"), building as store:
        yield store


# -- SQLite: a temporary file beside the target -------------------------------------------


@contextmanager
def _beside(path: Path, rules: Rules | None, clock: Clock | None) -> Iterator[SqlStore]:
    from cstui.store import init_store

    if path.exists() and path.stat().st_size > 0:
        _check_empty(path, rules)  # refused before the work, not after it
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    temp = Path(name)
    mask = os.umask(0)
    os.umask(mask)
    temp.chmod(0o666 & ~mask)  # as SQLite would have made it, not mkstemp's owner-only
    try:
        store = init_store(str(temp), rules=rules, clock=clock)
        try:
            yield store
        finally:
            store.close()
        _settle(temp)
        _put_in_place(temp, path, rules)
    finally:
        for leftover in _files_of(temp):
            leftover.unlink(missing_ok=True)


def _check_empty(path: Path, rules: Rules | None) -> None:
    from cstui.store import init_store

    existing = init_store(str(path), rules=rules)  # migrated first, as `seed` always did
    try:
        with existing.engine.connect() as conn:
            require_empty(conn)
    finally:
        existing.close()


def _settle(temp: Path) -> None:
    """Fold the write-ahead log into the file, so that the file alone is the store."""
    conn = sqlite3.connect(temp, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()  # the last connection: SQLite removes the -wal and -shm files
    wal = Path(f"{temp}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise RuntimeError(f"{temp}: still open elsewhere; its log cannot be folded in")


def _put_in_place(temp: Path, path: Path, rules: Rules | None) -> None:
    """A new name for a new store (never over one created meanwhile), else a copy into the
    empty store there, in one transaction."""
    try:
        os.link(temp, path)
        return
    except FileExistsError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        if not path.exists():  # a file system without hard links
            os.replace(temp, path)
            return
    _check_empty(path, rules)
    source = sqlite3.connect(temp)
    target = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        source.backup(target)  # all pages in one step: one transaction on the target
        with contextlib.suppress(sqlite3.Error):  # committed; the log is folded in later
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        source.close()
        target.close()


def _files_of(path: Path) -> list[Path]:
    return [path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal"))]


# -- PostgreSQL: in place, emptied again on failure ---------------------------------------


@contextmanager
def _in_place(target: str, rules: Rules | None, clock: Clock | None) -> Iterator[SqlStore]:
    from cstui.store import init_store

    store = init_store(target, rules=rules, clock=clock)
    try:
        if store.engine.dialect.name != "postgresql":  # SQLite in memory: nothing to keep
            yield store
            return
        with store.engine.connect() as lock:
            lock = lock.execution_options(**{SINGLE_STATEMENTS: True})  # held, but no BEGIN
            if not lock.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_KEY}).scalar():
                raise Conflict("seed: another seed is filling this store")
            with store.engine.connect() as conn:
                require_empty(conn)
            empty = _empty_tables(store.engine)
            try:
                yield store
            except BaseException:
                with contextlib.suppress(Exception):  # the load's own error is the one to tell
                    _empty_again(store.engine, empty)
                raise
            finally:
                with contextlib.suppress(Exception):  # closing the connection frees it too
                    lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
    finally:
        store.close()


def _empty_tables(engine: Engine) -> list[str]:
    listed = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    with engine.connect() as conn:
        names = [n for (n,) in conn.execute(text(listed)) if n != "alembic_version"]
        return [n for n in names if not conn.execute(text(f'SELECT 1 FROM "{n}" LIMIT 1')).first()]


def _empty_again(engine: Engine, tables: list[str]) -> None:
    """TRUNCATE gives the space back at once, but needs a little (new, empty files); on a
    disk with none left, DELETE still works: children first, the log's append-only trigger
    lifted inside this one transaction (the rows are the failed load's own)."""
    if not tables:
        return
    names = ", ".join(f'"{name}"' for name in tables)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        return
    except DBAPIError:
        pass
    with engine.begin() as conn:
        for table in _children_first(conn, tables):
            if table == "events":  # migration 0004's trigger
                conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
            conn.execute(text(f'DELETE FROM "{table}"'))
            if table == "events":
                conn.execute(text("ALTER TABLE events ENABLE TRIGGER events_append_only"))


def _children_first(conn: Connection, tables: list[str]) -> list[str]:
    """`tables` in an order that deletes no row another still points to."""
    references = (
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
    )
    pointed_at_by: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in conn.execute(text(references)):
        if child != parent and child in pointed_at_by and parent in pointed_at_by:
            pointed_at_by[parent].add(child)
    return list(TopologicalSorter(pointed_at_by).static_order())
