"""Turn-ordered jobs: customers, then ticket chunks, built in parallel, written in order.

The costly per-ticket stories are independent, so chunks of them are built on every core
while one writer at a time inserts them, in order: ids and the bytes of the store never
depend on scheduling.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from cstui.demo.formats import _fmt_datetime, _fmt_text
from cstui.demo.identity import _contact
from cstui.demo.pools import started_pool
from cstui.demo.replay import ChunkRows, _World
from cstui.demo.rows import _customer_rows, _Orders
from cstui.demo.story import build_chunk
from cstui.store import ticket_index
from cstui.store.bulk import COLUMNS, TABLES, Batch, BulkWriter, DroppedIndexes, write_counted
from cstui.store.ticket_index import TicketDoc

Progress = Callable[[int, int], None]
PARALLEL_FROM = 20_000  # below this, forking costs more than it saves
CHUNK = 5000  # tickets per job: one transaction, one unit of parallel work
CUSTOMER_JOB = 50_000  # customers per job
# ("customers", first id, end id), ("indexes", 0, 0) or ("tickets", first id, end id)
Job = tuple[str, int, int]
_EARLY_INDEXED = ("customers", "orders")  # complete before the tickets: indexed at once
_N_MSG, _N_ESC, _N_TRF = (TABLES.index(t) for t in ("messages", "escalations", "transfers"))
_DEDUPE, _KIND = (COLUMNS["deliveries"][1].index(c) for c in ("dedupe_key", "kind"))
_WORLD: _World | None = None  # while `write_world` runs


def _jobs(w: _World) -> list[Job]:
    """Customers, then the indexes of customers and orders (built while the first ticket
    chunks are being generated), then the ticket chunks."""
    n = len(w.customers.created)
    jobs: list[Job] = [
        ("customers", lo, min(n, lo + CUSTOMER_JOB)) for lo in range(1, n, CUSTOMER_JOB)
    ]
    jobs.append(("indexes", 0, 0))
    end = w.tickets + 1
    return jobs + [("tickets", lo, min(end, lo + CHUNK)) for lo in range(1, end, CHUNK)]


def _name_messages(
    rows: list[tuple[Any, ...]], base: int, *, keyed: bool = False
) -> list[tuple[Any, ...]]:
    """Deliveries and attachments name a message of their chunk by its index there (column
    1): its id goes in, and, `keyed`, into a reply's dedupe key ("reply:<message id>")."""
    out = []
    for r in rows:
        local = r[1]
        if local is not None:
            mid = base + local + 1
            r = (r[0], mid, *r[2:])
            if keyed and r[_DEDUPE] is None:
                r = (*r[:_DEDUPE], f"{r[_KIND]}:{mid}", *r[_DEDUPE + 1 :])
        out.append(r)
    return out


def _resolve_refs(
    events: list[tuple[Any, ...]], bases: tuple[int, int, int]
) -> list[tuple[Any, ...]]:
    """Event payloads naming a message, escalation or transfer get its global id."""
    out = []
    for e in events:
        new = e[5]
        if type(new) is tuple:
            prefix, table, local, suffix = new
            e = (*e[:5], f"{prefix}{bases[table] + local + 1}{suffix}")
        out.append(e)
    return out


_EARLY_DDL: list[tuple[str, str]] = []  # the ("indexes", …) job's (name, DDL)

Built = ChunkRows | Batch | list[tuple[str, str]]


def _build(job: Job) -> Built:
    """A job's rows (or DDL), built wherever the job runs."""
    w = _WORLD
    if w is None:
        raise RuntimeError("seed: jobs run inside seed_store only")
    kind, a, b = job
    if kind == "customers":
        return {"customers": _customer_rows(w, a, b, _fmt_text if w.sqlite else _fmt_datetime)}
    if kind == "indexes":
        return list(_EARLY_DDL)
    return build_chunk(w, a, b)


def _write_built(sink: BulkWriter, built: Built, counts: Any) -> int:
    """Write a job's rows (or build its indexes); ticket payloads learn their ids from the
    rows before them. Returns the number of tickets written."""
    if isinstance(built, list):
        sink.execute([ddl for _, ddl in built])
        return 0
    if not isinstance(built, ChunkRows):
        write_counted(sink, built, counts)
        return 0
    bases = (counts[_N_MSG], counts[_N_ESC], counts[_N_TRF])
    write_counted(
        sink,
        {
            "tickets": built.tickets,
            "messages": built.messages,
            "escalations": built.escalations,
            "transfers": built.transfers,
            "ticket_links": built.links,
            "events": _resolve_refs(built.events, bases),
            "deliveries": _name_messages(built.deliveries, bases[0], keyed=True),
            "attachments": _name_messages(built.attachments, bases[0]),
        },
        counts,
    )
    sink.write_index(built.docs or _index_rows(sink, built.search))
    return len(built.tickets)


def _index_rows(
    sink: BulkWriter, cut: list[tuple[int, int, int | None, str, str]]
) -> list[TicketDoc]:
    """The chunk's index entries: the identifiers (orders as written, so read back: every
    order is written before the first ticket job runs) joined to the fields cut when the
    chunk was built. Workers do this before their turn to write comes."""
    w = _WORLD
    assert w is not None
    orders = sink.orders({o for _, _, o, _, _ in cut if o})
    docs = []
    for tid, cust, oid, head, body in cut:
        number, tracking = orders.get(oid, (None, None)) if oid else (None, None)
        ids = ticket_index.ids_text(tid, number, tracking, _contact(w.seed, cust)[0])
        docs.append(TicketDoc(tid, ids, head, body))
    return docs


@dataclass
class _Turn:
    """Whose turn it is to write, shared by the worker processes: job j is written only
    after job j-1, so ids and the bytes of the store never depend on scheduling."""

    cond: Any
    next_job: Any  # a shared integer
    counts: Any  # a shared array: rows written per table, in `TABLES` order


_TURN: _Turn | None = None
_ENGINE: Engine | None = None
_JOBS: list[Job] = []
_SINK: BulkWriter | None = None  # a worker process's own connection


def _worker_sink() -> BulkWriter:
    """The worker's connection, opened on first use (never one inherited from the parent)."""
    global _SINK
    if _SINK is None:
        assert _ENGINE is not None
        _ENGINE.dispose(close=False)
        _SINK = BulkWriter(_ENGINE)
        multiprocessing.util.Finalize(_SINK, _SINK.close, exitpriority=10)
    return _SINK


def _job(j: int) -> int:
    """In a worker: build job j, wait for its turn, write it, pass the turn on."""
    built = _build(_JOBS[j])
    if isinstance(built, ChunkRows):  # while waiting for the turn, not in it
        built.docs = _index_rows(_worker_sink(), built.search)
    turn = _TURN
    assert turn is not None
    with turn.cond:
        turn.cond.wait_for(lambda: turn.next_job.value == j)
    written = _write_built(_worker_sink(), built, turn.counts)
    with turn.cond:
        turn.next_job.value = j + 1
        turn.cond.notify_all()
    return written


def _default_workers(tickets: int) -> int:
    """Every core, once there is enough work to pay for forking (and fork exists)."""
    if tickets < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(4, os.cpu_count() or 1)


def _run_jobs(
    engine: Engine, jobs: list[Job], counts: list[int], workers: int, progress: Progress | None
) -> None:
    """Every job, in order: here, or in `workers` forked processes taking turns."""
    total = _WORLD.tickets if _WORLD else 0
    if workers <= 1 or len(jobs) <= 1:
        sink, done = BulkWriter(engine), 0
        try:
            for job in jobs:
                done += _write_built(sink, _build(job), counts)
                _report(progress, done, total, job)
        finally:
            sink.close()
        return
    ctx = multiprocessing.get_context("fork")
    global _TURN, _ENGINE, _JOBS
    _TURN = _Turn(
        ctx.Condition(), ctx.Value("q", 0, lock=False), ctx.Array("q", counts, lock=False)
    )
    _ENGINE, _JOBS = engine, jobs
    try:
        _run_pool(ctx, workers, jobs, total, progress)
        counts[:] = list(_TURN.counts)
    finally:
        _TURN, _ENGINE, _JOBS = None, None, []


def _run_pool(
    ctx: Any, workers: int, jobs: list[Job], total: int, progress: Progress | None
) -> None:
    """Submit every job at once; results come back in order, for progress."""
    pool = started_pool(ctx, workers)
    try:
        pending = deque(pool.apply_async(_job, (j,)) for j in range(len(jobs)))
        done = 0
        for job in jobs:
            done += pending.popleft().get()
            _report(progress, done, total, job)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _report(progress: Progress | None, done: int, total: int, job: Job) -> None:
    if progress is not None and job[0] == "tickets":
        progress(done, total)


def write_world(
    w: _World,
    engine: Engine,
    indexes: DroppedIndexes,
    orders: _Orders,
    counts: list[int],
    workers: int,
    progress: Progress | None,
) -> None:
    """Customers (before the orders where foreign keys are checked as rows arrive), the
    early indexes, then the ticket chunks. `w` is module-global meanwhile, so that forked
    workers share it."""
    global _WORLD, _EARLY_DDL
    _WORLD = w
    try:
        jobs = _jobs(w)
        if orders.process is None:
            people = [j for j in jobs if j[0] == "customers"]
            _run_jobs(engine, people, counts, 0, None)
            jobs = jobs[len(people) :]
        counts[TABLES.index("orders")] = orders.finish()
        _EARLY_DDL = indexes.ddl_of(_EARLY_INDEXED)
        _run_jobs(engine, jobs, counts, workers, progress)
        indexes.built.update(name for name, _ in indexes.ddl_of(_EARLY_INDEXED))
    finally:
        _WORLD, _EARLY_DDL = None, []
