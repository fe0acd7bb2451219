"""Loading many articles in one transaction (the demo world, `seed --kb N`).

Checking articles and cutting their text into index rows is pure Python and most of the
work, so it runs in worker processes while this one writes the batches before.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, make_url

from cstui.domain.model import EventKind
from cstui.search.segment import cut_fields
from cstui.store.base import NewArticle
from cstui.store.kb.articles import clean_tags, validated
from cstui.store.kb.index import Entry, SearchIndex, index_for, index_named
from cstui.store.schema import ARTICLES
from cstui.store.tx import Tx

BULK_BATCH = 2_000


def bulk_add_articles(
    tx: Tx, *, rows: Iterable[NewArticle], batch: int = BULK_BATCH, workers: int | None = None
) -> int:
    """Insert and index many articles in one transaction (demo world, `seed --kb N`).

    Checking articles and cutting their text into index rows is pure Python and most of the
    work, so from the second batch on it runs in `workers` other processes (default: the
    number of CPUs, at most 4; 0: all here) while this one writes the batches before.
    The log gets one ARTICLES_LOADED event for the load, not one per article.
    Returns how many articles were added.
    """
    now = tx.clock()
    added: list[int] = []
    conn = tx.conn
    dialect = f"{conn.dialect.name}+{conn.dialect.driver}"
    with _Workers(workers, dialect, now) as pool:
        ids = _IdSource(conn)
        index = index_for(conn)
        pending: deque[_Job] = deque()
        for chunk in _batched(iter(rows), batch):
            pending.append(pool.submit(chunk, ids.take(len(chunk))))
            while len(pending) > pool.depth:
                added += _write_batch(conn, index, pending.popleft().result())
        while pending:
            added += _write_batch(conn, index, pending.popleft().result())
        if conn.dialect.name == "postgresql":  # fresh statistics, or the planner guesses
            conn.execute(text("ANALYZE articles, kb_search"))
        if added:
            tx.event(
                EventKind.ARTICLES_LOADED,
                ticket_id=None,
                actor=None,
                at=now,
                new={"count": len(added), "first_id": min(added), "last_id": max(added)},
            )
    return len(added)


ARTICLE_COLUMNS = tuple(c.name for c in ARTICLES.columns)
_ID_AT = ARTICLE_COLUMNS.index("id")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A batch ready to write: `articles` rows (in ARTICLE_COLUMNS order, values as the
    driver takes them) and the index's rows for them."""

    articles: list[tuple[Any, ...]]
    index_rows: Any


def prepare_batch(chunk: list[NewArticle], ids: list[int], now: datetime, dialect: str) -> Prepared:
    """Check and cut a batch of articles (pure: runs in a worker process).

    `dialect` is the store's `name+driver`, for the same bind processing a write would do.
    """
    articles, entries = [], []
    for article, article_id in zip(chunk, ids, strict=True):
        tags = clean_tags(article.tags)
        values = validated(article, now, tags)
        values["id"] = article_id
        articles.append(values)
        entries.append(Entry.of(values, cut_fields(values["title"], tags, values["body"])))
    index = index_named(dialect.partition("+")[0])
    return Prepared(_driver_rows(dialect, articles), index.rows(entries))


def _driver_rows(dialect: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as tuples, each value through its column's bind processor (UTC timestamps as ISO
    text on SQLite), each distinct value once (a load shares its timestamps)."""
    data: list[tuple[Any, ...]] = list(map(itemgetter(*ARTICLE_COLUMNS), rows))
    for i, proc in enumerate(_processors(dialect)):
        if proc is not None:
            done: dict[Any, Any] = {}
            for j, row in enumerate(data):
                value = row[i]
                if value not in done:
                    done[value] = proc(value)
                data[j] = (*row[:i], done[value], *row[i + 1 :])
    return data


@lru_cache(maxsize=4)
def _processors(dialect: str) -> list[Callable[[Any], Any] | None]:
    engine_dialect = make_url(f"{dialect}://").get_dialect()()
    return [ARTICLES.c[c].type.bind_processor(engine_dialect) for c in ARTICLE_COLUMNS]


def _write_batch(conn: Connection, index: SearchIndex, batch: Prepared) -> list[int]:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(ARTICLE_COLUMNS))})"
    )
    conn.exec_driver_sql(sql, batch.articles)
    index.write(conn, batch.index_rows)
    return [row[_ID_AT] for row in batch.articles]


@dataclass
class _Job:
    """A batch being prepared; if its worker process died, it is prepared here instead."""

    args: tuple[list[NewArticle], list[int], datetime, str]
    future: Future[Prepared] | None = None

    def result(self) -> Prepared:
        if self.future is not None:
            try:
                return self.future.result()
            except BrokenProcessPool:
                pass
        return prepare_batch(*self.args)


class _Workers:
    """Prepares the first batch here, later ones in other processes when that can work."""

    def __init__(self, workers: int | None, dialect: str, now: datetime) -> None:
        self.workers = min(4, os.cpu_count() or 1) if workers is None else workers
        self.dialect, self.now = dialect, now
        self.pool: ProcessPoolExecutor | None = None
        self.depth = 0  # batches prepared ahead of the one being written
        self.batches = 0

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, chunk: list[NewArticle], ids: list[int]) -> _Job:
        self.batches += 1
        job = _Job((chunk, ids, self.now, self.dialect))
        if self.batches == 2 and self.workers > 0:
            self._start(job)
        elif self.pool is not None:
            self._hand_over(job)
        return job

    def _start(self, job: _Job) -> None:
        """Start the pool with its first job (a forked pool forks here).

        The garbage collector is frozen meanwhile so that no forked worker ever finalises an
        object of this process, such as a database connection it shares the socket or file of.
        """
        context = _process_context()
        if context is None:
            return
        gc.collect()
        gc.freeze()
        try:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context)
            self.depth = 2 * self.workers
            self._hand_over(job)
        finally:
            gc.unfreeze()

    def _hand_over(self, job: _Job) -> None:
        assert self.pool is not None
        try:
            job.future = self.pool.submit(prepare_batch, *job.args)
        except (BrokenProcessPool, RuntimeError, OSError):
            self.pool, self.depth = None, 0


def _process_context() -> multiprocessing.context.BaseContext | None:
    """How to start workers: fork when it is safe (Linux, no other thread: nothing can hold
    a lock in the copy; the child never touches the parent's connection, and it skips the
    second or so a fresh interpreter takes to import the store), else spawn, which re-imports
    the main module (so it must be a file, or none); else no workers at all."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or os.path.exists(path):
        return multiprocessing.get_context("spawn")
    return None


class _IdSource:
    """Article ids for a bulk load, taken before insertion so the index can use them.

    SQLite: one past the largest id (the write lock is held). PostgreSQL: the sequence.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.next: int | None = None

    def take(self, n: int) -> list[int]:
        if self.conn.dialect.name != "sqlite":
            sql = text(
                "SELECT nextval(pg_get_serial_sequence('articles', 'id')) "
                "FROM generate_series(1, :n)"
            )
            return [int(i) for i in self.conn.execute(sql, {"n": n}).scalars()]
        if self.next is None:
            last = self.conn.execute(select(func.coalesce(func.max(ARTICLES.c.id), 0)))
            self.next = int(last.scalar_one()) + 1
        start, self.next = self.next, self.next + n
        return list(range(start, start + n))


def _batched(it: Iterator[NewArticle], size: int) -> Iterator[list[NewArticle]]:
    while chunk := list(islice(it, size)):
        yield chunk
