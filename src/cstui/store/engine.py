"""Opening a store: URL parsing, SQLite pragmas, schema checks with one-line errors.

SQLite runs in WAL mode with foreign keys and a busy timeout. Write transactions start
with BEGIN IMMEDIATE: a transaction that reads and then writes would otherwise fail at once
with SQLITE_BUSY when another process wrote in between, instead of waiting its turn.

On both databases the driver is in autocommit mode and the store begins its transactions
itself (`_on_begin`, below). That lets a read of one statement skip BEGIN and
COMMIT: on PostgreSQL those are two of a queue page's three round trips.

A SQLite store this process may not write (a read-only mount, file or directory) is opened
for reading: WAL mode would otherwise need to create its -shm file and fail even to read.
It shares the -shm of a writer when there is one (`mode=ro`); when there is none and none
can be made, nobody is writing it, and it is read as immutable. A write then fails with
SQLite's "attempt to write a readonly database".

`CSTUI_SQLITE_MAX_PAGES=N` caps a SQLite store at N pages (`PRAGMA max_page_count`): past it
every write fails exactly as on a full disk (SQLITE_FULL). The tests fill the "disk" with
it; it can also keep a store from growing past a size.
"""

from __future__ import annotations

import errno
import os
import select
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, DBAPIError, DisconnectionError, OperationalError

from cstui.errors import BadInput, Unavailable
from cstui.store.migrations import HEAD_REVISION, KNOWN_REVISIONS
from cstui.store.schema import postgresql_predicates
from cstui.store.urls import normalise_url as normalise_url
from cstui.store.urls import sqlite_path as sqlite_path

BUSY_TIMEOUT_MS = 30_000


# The execution option of a connection whose statements each stand alone (see `_on_begin`).
SINGLE_STATEMENTS = "cstui_single_statements"


@dataclass(frozen=True, slots=True)
class Pool:
    """How many connections an engine keeps open, and how many more it may open under load
    (None: the backend's default)."""

    size: int | None = None
    overflow: int | None = None

    def options(self, size: int, overflow: int) -> dict[str, int]:
        return {
            "pool_size": size if self.size is None else self.size,
            "max_overflow": overflow if self.overflow is None else self.overflow,
        }


BACKEND_POOL = Pool()  # each backend's own default sizes


def make_engine(url: str, pool: Pool = BACKEND_POOL) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, pool)
    try:
        engine = create_engine(url, **pool.options(5, 10))
    except Exception as exc:  # a malformed URL or a missing driver
        raise Unavailable(f"store {url}: {exc}") from None
    if engine.dialect.name == "postgresql":
        postgresql_predicates()
    event.listen(engine, "connect", _autocommit_on_connect)
    event.listen(engine, "checkout", _drop_if_closed_by_server)
    event.listen(engine, "begin", _on_begin)
    return engine


def _drop_if_closed_by_server(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled connection the server has closed (a restart, an idle timeout).

    `pool_pre_ping` asks with SELECT 1: a round trip on every checkout, a tenth of a queue
    page. A socket the server closed turns readable at once, so a zero-timeout poll finds
    it without one; an idle connection has nothing else to read (the store never LISTENs).
    """
    if dbapi_conn.closed or dbapi_conn.broken:
        raise DisconnectionError("closed")
    if _readable_now(dbapi_conn.fileno()):
        raise DisconnectionError("closed by the server")


def _readable_now(fd: int) -> bool:
    # poll, not select: a busy server's descriptors pass select's limit of 1024
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # Windows: no poll, and no such limit


def _autocommit_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.autocommit = True  # transactions are begun explicitly, in `_on_begin`


def _on_begin(conn: Connection) -> None:
    """BEGIN, unless the connection only runs statements that need no shared snapshot.

    A SQLite write begins IMMEDIATE (see the module's docstring).
    """
    options = conn.get_execution_options()
    if options.get(SINGLE_STATEMENTS):
        return
    immediate = options.get("cstui_write") and conn.dialect.name == "sqlite"
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


PAGE_CACHE_KIB = 512  # per SQLite connection
READ_ONLY = "cstui_read_only"  # the execution option of an engine that only reads
MAX_PAGES_ENV = "CSTUI_SQLITE_MAX_PAGES"


def _sqlite_engine(url: str, pool: Pool) -> Engine:
    # A pool keeps connections (and their PRAGMAs) open: opening one costs about 1 ms,
    # as much as a whole queue page.
    path = sqlite_path(url)
    reading_uri = _reading_uri(path) if path is not None and not _writable(path) else None
    options: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if reading_uri is not None:
        uri = reading_uri  # SQLAlchemy's URL would unquote a `?` or `%` in the path
        options = {"creator": lambda: _connect_uri(uri), "execution_options": {READ_ONLY: True}}
    engine = create_engine(url, **pool.options(4, 8), **options)
    event.listen(engine, "connect", _sqlite_setup(read_only=reading_uri is not None))
    event.listen(engine, "begin", _on_begin)
    return engine


def _writable(path: Path) -> bool:
    """Whether this process may write the store: the file, and the directory its -wal and
    -shm files live in. (A missing store is left to `check_schema` and `init`.)"""
    if not path.exists():
        return True
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _reading_uri(path: Path) -> str:
    """The URI that reads a store this process may not write (see the module docstring)."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        probe = _connect_uri(uri)
        try:
            probe.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        finally:
            probe.close()
    except sqlite3.Error:
        uri += "&immutable=1"  # no -shm to share and none can be made: nobody writes it
    return uri


def _connect_uri(uri: str) -> sqlite3.Connection:
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)


def _sqlite_setup(*, read_only: bool) -> Callable[[sqlite3.Connection, Any], None]:
    """The connect listener: the store's PRAGMAs (and the page cap, when one is set)."""
    limit = os.environ.get(MAX_PAGES_ENV, "").strip()
    if limit and not limit.isdigit():
        raise BadInput(f"{MAX_PAGES_ENV}: a number of pages, not {limit!r}")

    def on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun explicitly, below
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only:
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        # Each pooled connection keeps its own page cache (2 MB by default): the console's
        # workers hold several, which was a tenth of its memory. Pages come back from the
        # OS cache in microseconds, and queue pages read a few dozen of them.
        cur.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        if limit:
            cur.execute(f"PRAGMA max_page_count = {int(limit)}")
        cur.close()

    return on_connect


def is_read_only(engine: Engine) -> bool:
    """Whether the store was opened for reading only (see the module docstring)."""
    return bool(engine.get_execution_options().get(READ_ONLY))


def check_schema(engine: Engine, url: str) -> None:
    """Refuse a missing, corrupt or newer store with one line; never a traceback."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise Unavailable(f"no store at {path}: run `cstui init` (or `cstui seed`) first")
    revision = current_revision(engine, url)
    if revision is None:
        raise Unavailable(f"store {display_url(url)} has no cstui schema: run `cstui init`")
    if revision not in KNOWN_REVISIONS:
        raise Unavailable(
            f"store {display_url(url)} has schema {revision}, newer than this cstui "
            f"({HEAD_REVISION}): upgrade cstui"
        )
    if revision != HEAD_REVISION:
        raise Unavailable(
            f"store {display_url(url)} has schema {revision}; run `cstui init` to migrate it"
        )


def current_revision(engine: Engine, url: str) -> str | None:
    try:
        with engine.connect() as conn:
            if not _has_table(conn, "alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (DatabaseError, OperationalError) as exc:
        raise Unavailable(f"store {display_url(url)}: {driver_message(exc)}") from None


def _has_table(conn: Connection, name: str) -> bool:
    if conn.dialect.name == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"
    else:
        sql = "SELECT 1 FROM information_schema.tables WHERE table_name = :n"
    return conn.execute(text(sql), {"n": name}).first() is not None


def display_url(url: str) -> str:
    """The URL without a password, for messages."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, cred = head.partition("//")
    return f"{scheme}//{cred.split(':', 1)[0]}:***@{tail}"


def storage_error(exc: BaseException, where: str = "store") -> Unavailable | None:
    """A database error that is the storage's, not the statement's, as one line: a full
    disk or a read-only store. None for anything else."""
    if not isinstance(exc, sqlite3.Error | DBAPIError | OSError) and not _from_psycopg(exc):
        return None
    if _disk_full(exc):
        return Unavailable(f"{where}: the disk is full ({driver_message(exc)})")
    if _read_only_refusal(exc):
        return Unavailable(f"{where} is read-only ({driver_message(exc)})")
    return None


@contextmanager
def told_whole(where: str, outcome: str) -> Iterator[None]:
    """A full disk or a read-only store met inside, as one line that also says what became
    of the work (`outcome`: "nothing was written")."""
    try:
        yield
    except Exception as exc:
        found = storage_error(exc, where)
        if found is None:
            raise
        raise Unavailable(f"{found}; {outcome}") from None


def _from_psycopg(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("psycopg")


def _disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL, PostgreSQL's disk_full (53100) or ENOSPC, however wrapped. The text is
    matched too: an error re-raised from a worker process has lost its codes."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, OSError) and orig.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    if getattr(orig, "sqlstate", None) == "53100":
        return True
    text = str(orig)
    return "database or disk is full" in text or "No space left on device" in text


def _read_only_refusal(exc: BaseException) -> bool:
    """SQLITE_READONLY (any of its extended codes), or a file that may not be made there."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, OSError):
        return orig.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_READONLY
    return "attempt to write a readonly database" in str(orig)


def driver_message(exc: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's statement dump."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
