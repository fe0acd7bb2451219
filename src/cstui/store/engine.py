"""Opening a store: URL parsing, SQLite pragmas, schema checks with one-line errors.

SQLite runs in WAL mode with foreign keys and a busy timeout. Write transactions start
with BEGIN IMMEDIATE: a transaction that reads and then writes would otherwise fail at once
with SQLITE_BUSY when another process wrote in between, instead of waiting its turn.

On both databases the driver is in autocommit mode and the store begins its transactions
itself (`_on_begin`, below). That lets a read of one statement skip BEGIN and
COMMIT: on PostgreSQL those are two of a queue page's three round trips.
"""

from __future__ import annotations

import select
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, DisconnectionError, OperationalError

from cstui.errors import Unavailable
from cstui.store.migrations import HEAD_REVISION, KNOWN_REVISIONS

BUSY_TIMEOUT_MS = 30_000


def normalise_url(target: str) -> str:
    """A bare path means SQLite; URLs pass through."""
    if "://" in target:
        if target.startswith("postgresql://"):
            return "postgresql+psycopg://" + target.removeprefix("postgresql://")
        return target
    return f"sqlite:///{Path(target).expanduser()}"


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    rest = url.removeprefix("sqlite:///")
    return None if rest in ("", ":memory:") else Path(rest)


# The execution option of a connection whose statements each stand alone (see `_on_begin`).
SINGLE_STATEMENTS = "cstui_single_statements"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    try:
        engine = create_engine(url, pool_size=5, max_overflow=10)
    except Exception as exc:  # a malformed URL or a missing driver
        raise Unavailable(f"store {url}: {exc}") from None
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


def _sqlite_engine(url: str) -> Engine:
    # A pool keeps connections (and their PRAGMAs) open: opening one costs about 1 ms,
    # as much as a whole queue page.
    engine = create_engine(
        url, pool_size=4, max_overflow=8, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun explicitly, below
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    # Each pooled connection keeps its own page cache (2 MB by default): the console's
    # workers hold several, which was a tenth of its memory. Pages come back from the OS
    # cache in microseconds, and queue pages read a few dozen of them.
    cur.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
    cur.close()


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


def driver_message(exc: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's statement dump."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
