"""Bulk loading an empty store (`cstui seed`): column lists, one connection per process, the
secondary indexes dropped during the load and rebuilt from the catalogue's own DDL after it.

On SQLite the writer uses the raw DB-API cursor; PostgreSQL gets COPY through psycopg (other
dialects SQLAlchemy Core executemany). The rows come ready-made, in the column order of
`COLUMNS` (a `SPARSE` table's rows may end early: NULL); the loader hands out ids in
insertion order (see `SERIAL`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import chain, groupby
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import Connection

from cstui.errors import Conflict
from cstui.store import ticket_index
from cstui.store.schema import (
    AGENTS,
    ATTACHMENTS,
    CUSTOMERS,
    DELIVERIES,
    ESCALATIONS,
    EVENTS,
    LINKS,
    MESSAGES,
    ORDERS,
    TICKETS,
    TRANSFERS,
)
from cstui.store.ticket_index import TicketDoc

_TICKET_COLS = (
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "category",
    "customer_id",
    "order_id",
    "owner_id",
    "dispatch_count",
    "version",
    "tier",
    "active",
    "green_rank",
    "due_key",
    "tier_rank",
    "open_escalations",
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "sla_paused_at",
    "sla_remaining",
    "first_responded_at",
    "complaint_cause",
    "second_complaint",
    "matter_key",
    "follow_up_due",
    "resolution_code",
    "resolved_at",
    "merged_into",
    "created_at",
    "updated_at",
    "last_activity_at",
)
COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "agents": (
        AGENTS,
        ("id", "name", "display_name", "role", "shift", "routing_paused", "created_at"),
    ),
    "customers": (
        CUSTOMERS,
        (
            "id",
            "name",
            "phone",
            "email",
            "address",
            "tier",
            "tier_reasons",
            "annual_spend",
            "order_count",
            "complaint_count",
            "created_at",
        ),
    ),
    "orders": (
        ORDERS,
        (
            "id",
            "number",
            "customer_id",
            "amount",
            "goods_type",
            "placed_at",
            "tracking_no",
            "logistics_status",
        ),
    ),
    "tickets": (TICKETS, _TICKET_COLS),
    "messages": (
        MESSAGES,
        ("ticket_id", "kind", "channel", "author", "body", "created_at", "external_id", "address"),
    ),
    "escalations": (
        ESCALATIONS,
        (
            "ticket_id",
            "department",
            "reason",
            "state",
            "green",
            "requested_by",
            "created_at",
            "due_at",
            "updated_at",
            "notes",
        ),
    ),
    "transfers": (
        TRANSFERS,
        (
            "ticket_id",
            "from_owner",
            "to_agent",
            "reason",
            "requested_by",
            "state",
            "decided_by",
            "created_at",
            "decided_at",
        ),
    ),
    "ticket_links": (LINKS, ("ticket_id", "other_id")),
    "events": (EVENTS, ("ticket_id", "actor", "at", "kind", "old", "new")),
    "deliveries": (
        DELIVERIES,
        (
            "ticket_id",
            "message_id",
            "kind",
            "channel",
            "recipient",
            "state",
            "attempts",
            "next_attempt_at",
            "lease_until",
            "error",
            "external_id",
            "dedupe_key",
            "created_at",
            "sent_at",
        ),
    ),
    "attachments": (
        ATTACHMENTS,
        (
            "ticket_id",
            "message_id",
            "filename",
            "content_type",
            "size",
            "sha256",
            "data",
            "created_at",
        ),
    ),
}
TABLES = tuple(COLUMNS)


# Ids of these tables are handed out in insertion order (SQLite's rowid does it; PostgreSQL
# gets them explicitly), which is what lets event payloads name rows before they exist.
SERIAL = ("messages", "escalations", "transfers", "events", "deliveries", "attachments")
# Secondary indexes of these tables are dropped for the load and rebuilt after it, except
# those whose keys arrive in order (by ticket or customer id): appending to them costs less
# than sorting them afterwards.
_LOADED = (
    "customers",
    "orders",
    "tickets",
    "messages",
    "escalations",
    "transfers",
    "events",
    "ticket_search",  # PostgreSQL's GIN indexes: built once after the load
)
_KEPT = frozenset(
    {
        "ix_events_ticket",
        "ix_messages_ticket_id",
        "ix_escalations_ticket_id",
        "ix_transfers_ticket_id",
        "ix_orders_customer_id",
    }
)

Batch = dict[str, list[tuple[Any, ...]]]

# A store with any of these rows is not empty: a seeded world would collide with its ids.
FILLED_BY = ("agents", "customers", "tickets", "events")


def require_empty(conn: Connection) -> None:
    """Conflict unless the store holds no agents, customers, tickets or events."""
    for table in FILLED_BY:
        if conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first():
            raise Conflict(f"seed: the store has {table} already; seed an empty store")


class BulkWriter:
    """One process's connection for inserting batches, one transaction per batch.

    SQLite gets the raw DB-API cursor (measured several times faster than Core's
    executemany here, which spends its time on per-row parameter processing); PostgreSQL
    gets SQLAlchemy Core executemany. `counts` (rows already in each table, by `TABLES`
    order) gives PostgreSQL the explicit serial ids SQLite's rowid would assign.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.raw: Any = None
        if engine.dialect.name == "sqlite":
            self.raw = engine.raw_connection()
            conn = self.raw.driver_connection
            conn.execute("PRAGMA synchronous = OFF")  # this connection only: a bulk load
            conn.execute("PRAGMA cache_size = -131072")
            conn.execute("PRAGMA foreign_keys = OFF")  # the generator keeps them (tests check)

    def close(self) -> None:
        """Discard the connection rather than pool it: its bulk-load PRAGMAs (no foreign
        keys, no syncing) must never serve the store's own writes."""
        if self.raw is not None:
            self.raw.invalidate()
            self.raw = None

    def execute(self, statements: list[str]) -> None:
        """Run statements (index DDL) in one transaction."""
        if self.raw is None:
            with self.engine.begin() as conn:
                for sql in statements:
                    conn.execute(text(sql))
            return
        self._in_transaction(lambda conn: [conn.execute(sql) for sql in statements])

    def write(self, batch: Batch, counts: Sequence[int]) -> None:
        """One batch, one transaction."""
        if self.raw is not None:
            self._write_sqlite(batch)
        else:
            self._write_core(batch, counts)

    def orders(self, ids: set[int]) -> dict[int, tuple[str, str | None]]:
        """The number and tracking number of these orders (all written before any ticket)."""
        if not ids:
            return {}
        sql = f"SELECT id, number, tracking_no FROM orders WHERE id IN ({','.join(map(str, ids))})"
        if self.raw is not None:
            found = self.raw.driver_connection.execute(sql).fetchall()
        else:
            with self.engine.connect() as conn:
                found = conn.exec_driver_sql(sql).all()
        return {int(i): (n, t) for i, n, t in found}

    def write_index(self, docs: list[TicketDoc]) -> None:
        """The chunk's search entries, in a transaction of their own."""
        if not docs:
            return
        if self.raw is not None:
            rows = [(d.id, d.ids, d.head, d.body) for d in docs]
            sql = "INSERT INTO ticket_fts (rowid, ids, head, body) VALUES (?, ?, ?, ?)"
            self._in_transaction(lambda conn: conn.executemany(sql, rows))
            return
        with self.engine.begin() as conn:
            if conn.dialect.name != "postgresql":
                ticket_index.insert(conn, docs)
                return
            values = [d.pg_values() for d in docs]
            rows = [(v["id"], v["ids"], v["head"], v["doc"]) for v in values]
            _copy(conn, "ticket_search", ("ticket_id", "ids", "head", "doc"), rows)

    def _write_sqlite(self, batch: Batch) -> None:
        def insert_all(conn: sqlite3.Connection) -> None:
            for table, rows in batch.items():
                _insert_many(conn, table, rows)

        self._in_transaction(insert_all)

    def _in_transaction(self, work: Callable[[sqlite3.Connection], Any]) -> None:
        """BEGIN IMMEDIATE: wait for the write lock up front, as the store does."""
        conn = self.raw.driver_connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            work(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite ends it itself on some errors (a full disk)
                conn.execute("ROLLBACK")
            raise

    def _write_core(self, batch: Batch, counts: Sequence[int]) -> None:
        """PostgreSQL: COPY through psycopg (tens of times faster than executemany of
        INSERTs); other dialects: SQLAlchemy Core executemany."""
        with self.engine.begin() as conn:
            for table, rows in batch.items():
                if not rows:
                    continue
                cols, rows = COLUMNS[table][1], _full(table, rows)
                if table in SERIAL:  # the ids SQLite's rowid would give
                    start = counts[TABLES.index(table)] + 1
                    rows = [(n, *r) for n, r in enumerate(rows, start=start)]
                    cols = ("id", *cols)
                if conn.dialect.name == "postgresql":
                    _copy(conn, table, cols, rows)
                else:
                    target = COLUMNS[table][0]
                    conn.execute(insert(target), [dict(zip(cols, r, strict=True)) for r in rows])


def _copy(conn: Any, table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """COPY FROM STDIN on the connection's own psycopg cursor (same transaction)."""
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# Narrow rows go in several to a statement: SQLite's per-statement overhead then counts
# once per group (measured: about a third less time per event row).
_GROUPED = {"events": 16, "messages": 16, "ticket_links": 16}
# Rows of these tables may leave out so many trailing columns, NULL in most rows (a
# message's e-mail id and address). SQLite's driver binds a NULL about as slowly as a text
# (measured: two bound NULLs a message made its inserts 60% slower), so a group of short
# rows is written with NULL in the statement instead.
SPARSE = {"messages": 2}


@lru_cache(maxsize=32)
def _insert_sql(table: str, rows: int = 1, nulls: int = 0) -> str:
    """The INSERT of `rows` rows, the last `nulls` columns written as NULL."""
    cols = COLUMNS[table][1]
    one = f"({', '.join(['?'] * (len(cols) - nulls) + ['NULL'] * nulls)})"
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([one] * rows)}"


def _full(table: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows at the table's full width (a sparse table's short rows padded with NULL)."""
    width = len(COLUMNS[table][1])
    if table not in SPARSE:
        return rows
    return [r if len(r) == width else r + (None,) * (width - len(r)) for r in rows]


def _insert_many(conn: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    """executemany, `_GROUPED[table]` rows per statement where that pays."""
    k = _GROUPED.get(table, 1)
    full = len(rows) // k * k
    if k > 1 and full and table in SPARSE:
        short = len(COLUMNS[table][1]) - SPARSE[table]
        groups = [rows[i : i + k] for i in range(0, full, k)]
        # In runs, in order (ids follow insertion): groups of short rows, and the others.
        for wide, run in groupby(groups, key=lambda g: max(map(len, g)) > short):
            nulls = 0 if wide else SPARSE[table]
            flat = [tuple(chain.from_iterable(_full(table, g) if wide else g)) for g in run]
            conn.executemany(_insert_sql(table, k, nulls), flat)
    elif k > 1 and full:
        flat = [tuple(chain.from_iterable(rows[i : i + k])) for i in range(0, full, k)]
        conn.executemany(_insert_sql(table, k), flat)
    if rows[full if k > 1 else 0 :]:
        conn.executemany(_insert_sql(table), _full(table, rows[full if k > 1 else 0 :]))


def write_counted(sink: BulkWriter, batch: Batch, counts: Any) -> None:
    """Insert a batch and add its rows to `counts` (a list, or a shared array)."""
    sink.write(batch, counts)
    for table, rows in batch.items():
        counts[TABLES.index(table)] += len(rows)


class DroppedIndexes:
    """Drops the secondary indexes of the bulk-loaded tables and rebuilds them afterwards.

    Building an index once over the loaded rows is much cheaper than maintaining it row by
    row, and each is recreated from the catalogue's own DDL, so the schema stays exactly
    the migrated one. Unique constraints stay: they are part of their tables.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.dropped: list[tuple[str, str, str]] = []  # (name, table, DDL)
        self.built: set[str] = set()  # rebuilt early, by a job (see `ddl_of`)

    def __enter__(self) -> DroppedIndexes:
        names = ", ".join(f"'{t}'" for t in _LOADED)
        if self.sqlite:
            query = (
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND "
                f"sql IS NOT NULL AND tbl_name IN ({names}) ORDER BY name"
            )
        else:
            query = (
                "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = "
                f"current_schema() AND tablename IN ({names}) AND indexdef NOT LIKE "
                "'CREATE UNIQUE%' ORDER BY indexname"
            )
        with self.engine.begin() as conn:
            found = conn.execute(text(query)).all()
            self.dropped = [(n, t, ddl) for n, t, ddl in found if n not in _KEPT]
            for name, _, _ in self.dropped:
                conn.execute(text(f'DROP INDEX "{name}"'))
        return self

    def ddl_of(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        """The (name, DDL) of the dropped indexes of `tables`."""
        return [(n, ddl) for n, t, ddl in self.dropped if t in tables]

    def __exit__(self, *exc: object) -> None:
        """Rebuild what is missing; after a failure too, so the schema stays as migrated.
        Not after a failure on SQLite, whose load is thrown away (a seed fills a temporary
        file): rebuilding over a large half-written file kept an interrupted seed busy for
        over a minute before it could exit."""
        if exc[0] is not None and self.sqlite:
            return
        try:
            with self.engine.begin() as conn:
                for name, _, ddl in self.dropped:
                    if name not in self.built:
                        conn.execute(text(ddl))
        except Exception:
            if exc[0] is None:
                raise
            return  # the seed's own error is the one to report
        if exc[0] is None:
            self._finish()

    def _finish(self) -> None:
        """SQLite: fold the WAL into the file. PostgreSQL: move sequences past the ids and
        ANALYZE, or the planner, blind after a bulk load, sorts whole queues (measured: a
        queue page took 750 ms instead of 8 until autovacuum got round to it). SQLite is not
        analysed here: that would add sqlite_stat1 to the migrated schema."""
        if self.sqlite:
            raw = self.engine.raw_connection()  # outside any transaction, or it cannot
            try:
                driver: Any = raw.driver_connection
                driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            return
        with self.engine.connect() as conn:
            for table in ("agents", "customers", "orders", "tickets", *SERIAL):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                )
            conn.commit()
            for table in TABLES:
                conn.execute(text(f"ANALYZE {table}"))
            conn.commit()


def claim(engine: Engine, batch: Batch, counts: list[int]) -> None:
    """Check that the store is empty and write `batch` (the agents and their events), in one
    write transaction; adds its rows to `counts`.

    Bulk-loaded ids start at 1, so they would collide with rows already there; and a second
    loader started at the same moment on the same store now finds the rows and stops,
    instead of both writing the same ids.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(cstui_write=True)  # BEGIN IMMEDIATE on SQLite
        with conn.begin():
            require_empty(conn)
            for table, rows in batch.items():
                target, cols = COLUMNS[table]
                if table in SERIAL:
                    cols, rows = ("id", *cols), [(n, *r) for n, r in enumerate(rows, 1)]
                conn.execute(insert(target), [dict(zip(cols, r, strict=True)) for r in rows])
    for table, rows in batch.items():
        counts[TABLES.index(table)] += len(rows)
