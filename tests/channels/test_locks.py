"""One runner per mailbox: the PostgreSQL advisory lock (and losing it), the SQLite file lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cstui.channels.locks import AdvisoryLock, FileLock, NoLock, lock_key, mailbox_lock

from ..conftest import _reset_pg


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key("support") == lock_key("support")
    assert lock_key("support") != lock_key("sales")
    assert -(2**63) <= lock_key("support") < 2**63


def test_sqlite_stores_lock_a_file_beside_the_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'cstui.db'}")
    first, second = mailbox_lock(engine, "support"), mailbox_lock(engine, "support")
    assert isinstance(first, FileLock) and first.path.parent == tmp_path
    assert first.acquire() and first.held()
    assert not second.acquire()  # flock: another open file, even in this process
    assert mailbox_lock(engine, "sales").acquire()
    first.release()
    assert second.acquire()
    second.release()
    assert isinstance(mailbox_lock(create_engine("sqlite://"), "support"), NoLock)


@pytest.mark.postgres
def test_one_advisory_lock_holder_and_a_lost_session_is_noticed(pg_url: str) -> None:
    _reset_pg(pg_url)
    engine = create_engine(pg_url)
    first, second = mailbox_lock(engine, "support"), mailbox_lock(engine, "support")
    assert isinstance(first, AdvisoryLock)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.held()
        # The holder's session dies (a server restart, a network cut): it knows before its
        # next batch, and the standby gets the lock.
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND pid <> pg_backend_pid() AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
            conn.commit()
        assert not first.held()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()
        engine.dispose()
