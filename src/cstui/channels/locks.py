"""Exactly one runner per mailbox, however many servers share the store.

On PostgreSQL a mailbox's runner holds a session-level advisory lock on a connection of
its own (outside the pool, so the lock can never be handed to another checkout). When the
process dies its connection closes and PostgreSQL releases the lock; a standby that tries
every few seconds takes the mailbox over. The lock session also asks PostgreSQL to probe the
client with TCP keepalives, so a holder whose machine vanished (no FIN) is noticed in about
25 s rather than the system's two hours. Before every batch the runner checks its lock
connection is alive: a runner whose session was lost stops polling before another starts.

On SQLite, the store is one file on one machine: the lock is an advisory file lock (flock)
on a file beside the database, which the kernel releases when the process dies. An
in-memory store has one process by construction.

Should two runners ever overlap (a lock lost while a batch is in flight), the store's dedupe
by Message-ID still stores each message once; the lock only keeps the work from doubling.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger("cstui.channels.locks")

# Server-side keepalive probes on the lock session: idle 10 s, then every 5 s, 3 misses.
KEEPALIVE = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}


class MailboxLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        ...

    def held(self) -> bool:
        """Whether this runner still holds it (checks the lock's connection)."""
        ...

    def release(self) -> None: ...


def lock_key(name: str) -> int:
    """The advisory lock's 64-bit key for a mailbox: stable across processes and versions."""
    digest = hashlib.sha256(f"cstui.mailbox:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def mailbox_lock(engine: Engine, name: str) -> MailboxLock:
    """The right lock for the store behind `engine`."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(engine, name)
    database = url.database
    if database and database != ":memory:":
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        return FileLock(Path(f"{database}.mailbox-{digest}.lock"))
    return NoLock()


def leader_lock(engine: Engine, role: str) -> MailboxLock:
    """The lock that makes one process the leader for `role` (e.g. "automations") among
    every process sharing the store: the same advisory lock (or file lock) as a mailbox's,
    under a key of its own."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        digest = hashlib.sha256(f"cstui.leader:{role}".encode()).digest()
        return AdvisoryLock(engine, role, key=int.from_bytes(digest[:8], "big", signed=True))
    database = url.database
    if database and database != ":memory:":
        return FileLock(Path(f"{database}.{role}.lock"))
    return NoLock()


class AdvisoryLock:
    """`pg_try_advisory_lock` on a dedicated connection."""

    def __init__(self, engine: Engine, name: str, *, key: int | None = None) -> None:
        self.name = name
        self.key = lock_key(name) if key is None else key
        # NullPool: closing the connection really closes it (and so releases the lock).
        self._engine = create_engine(engine.url, poolclass=NullPool)
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.held()
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            log.warning("mailbox %s: lock: cannot reach the store: %s", self.name, _short(exc))
            return False
        try:
            for setting, value in KEEPALIVE.items():
                conn.exec_driver_sql(f"SET {setting} = {int(value)}")
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            )
            conn.commit()  # no transaction left open: the lock is the session's, not a tx's
        except SQLAlchemyError as exc:
            log.warning("mailbox %s: lock: %s", self.name, _short(exc))
            _discard(conn)
            return False
        if not got:
            _discard(conn)
            return False
        self._conn = conn
        return True

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.exec_driver_sql("SELECT 1").scalar()
            self._conn.commit()
        except SQLAlchemyError:
            log.warning("mailbox %s: lost the lock's connection", self.name)
            _discard(self._conn)
            self._conn = None
            return False
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                conn.commit()
            except SQLAlchemyError:
                pass  # closing the session below releases it anyway
            _discard(conn)
        self._engine.dispose()


class FileLock:
    """flock on a file beside the SQLite database (released by the kernel on exit)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            import fcntl
        except ImportError:  # no flock (Windows): one runner is assumed, as documented
            self._fd = -1
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None and fd >= 0:
            os.close(fd)  # closing the only descriptor releases the flock


class NoLock:
    """An in-memory store: only this process can see it."""

    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        return None


def _discard(conn: Connection) -> None:
    try:
        conn.invalidate()  # never back to a pool, whatever state it is in
        conn.close()
    except SQLAlchemyError:
        pass


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
