"""A deterministic demo world: agents, customers, orders and a million tickets in minutes.

`cstui seed` fills an empty store with a plausible after-Double-11 backlog: customers with
orders and tiers, tickets on every channel in every state, replies and notes, escalations,
transfers, complaints, follow-ups and satisfaction answers, mail with its Message-IDs, the
replies and surveys it sent and a few photos and receipts, and the event log that tells the
same story, so that metrics computed from the log agree with the rows.

Why it is built the way it is:

- Deterministic. Every random choice comes from a `random.Random` seeded from `seed` (one
  stream per block of customers, one for the ticket plan, one per ticket) and the clock is
  `now`, never the wall clock: the same seed and `now` give byte-identical exports, whatever
  the number of worker processes.
- Rows, not store calls. Creating a million tickets through the store's write methods would
  take hours; instead each ticket's story is replayed here with the same domain rules
  (`cstui.domain.sla`, `tiers`, `complaints`, `escalation`) and turned into the rows and
  events those write methods would have produced (see `cstui.demo.replay`).
- Fast. A cheap sequential pass (`cstui.demo.plan`) decides what couples tickets together
  (customer, order, status, first owner, returning-customer routing, second complaints,
  links); the costly per-ticket stories are then independent, so chunks of them are built
  on every core while one writer inserts them in order. Story time is integer epoch seconds
  (formatted from a table) because datetime arithmetic and `isoformat` dominated the cost.
  The writer (`cstui.store.bulk`) uses the raw DB-API cursor on SQLite and COPY on
  PostgreSQL, and drops the secondary indexes during the load, recreating them from the
  catalogue's own DDL (the schema stays exactly alembic's).
- Bounded memory. Cross-ticket facts live in compact `array`s (about 40 bytes per ticket);
  rows are built and written one chunk at a time.
- Written by people. Names, addresses, phones, carriers and products come from
  `fixtures/people.json` and `products.json`; what customers and agents write comes from the
  hand-written conversations of `fixtures/scenarios.json`. Each ticket plays a scenario of
  its category that fits what the plan and its story say about it (complaint and its cause,
  second complaint, VIP, a department, the green channel, the goods), in the customer's
  language (about one customer in ten writes in English), its placeholders filled from the
  ticket's own rows. The story decides when someone writes; the scenario, what they say.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from random import Random

from sqlalchemy import Engine

from cstui.demo.fixtures import _fixtures
from cstui.demo.formats import _fmt_datetime
from cstui.demo.jobs import Progress, _default_workers, write_world
from cstui.demo.plan import _Planner
from cstui.demo.population import _agent_specs, _AgentSpec, _plan_customers, _Tiers
from cstui.demo.replay import _World
from cstui.demo.rows import _agent_rows, _Orders
from cstui.demo.vocabulary import DEFAULT_NOW
from cstui.errors import BadInput
from cstui.store.bulk import TABLES, DroppedIndexes, claim
from cstui.store.sql import SqlStore


def seed_store(
    store: SqlStore,
    *,
    tickets: int,
    customers: int | None = None,
    agents: int = 30,
    seed: int = 0,
    now: datetime | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    live: bool = False,
    planning: Progress | None = None,
) -> dict[str, int]:
    """Fill an empty store with a deterministic world; returns the rows written per table.

    `customers` defaults to tickets // 3 (at least 10). `now` defaults to DEFAULT_NOW, not
    the wall clock, so two runs agree. `workers` is how many processes build and write
    tickets (default: the cores, from 20,000 tickets up); the rows never depend on it.
    `progress(done, total)` is called as tickets are written, `planning(done, total)` as
    they are planned (before any is written: a bar moves from the start).

    By default the team is behind after Double 11: a backlog of days-old open tickets, which
    is what the benchmarks and tests page through. `live=True` is a team that keeps up (the
    demo): the open work is the last hours' and days', mostly taken, and older tickets are
    done, so the queue's deadlines are near rather than weeks past.
    """
    now = now or DEFAULT_NOW
    if now.tzinfo is None:
        raise BadInput("now must be timezone-aware")
    now = now.astimezone(UTC)
    n_customers = max(10, tickets // 3) if customers is None else customers
    if tickets < 0 or agents < 1 or n_customers < 1:
        raise BadInput("seed: tickets ≥ 0, customers ≥ 1 and agents ≥ 1")
    _fixtures()  # read here, before any fork, so that every worker inherits them
    specs = _agent_specs(agents)
    counts = [0] * len(TABLES)
    _claim(store.engine, specs, int(now.timestamp()), counts)
    n_workers = _default_workers(tickets) if workers is None else workers
    if "fork" not in multiprocessing.get_all_start_methods():
        n_workers = 0  # the workers share the plan by forking; elsewhere, work here
    with DroppedIndexes(store.engine) as indexes:
        world, orders = _plan_world(
            store, specs, tickets, n_customers, seed, now, n_workers, live, planning
        )
        try:
            write_world(world, store.engine, indexes, orders, counts, n_workers, progress)
        except BaseException:  # Ctrl+C too: the orders' writer would keep SQLite's write
            orders.abandon()  # lock, and the indexes' rebuild wait 30 s on it
            raise
    store.rebuild_figures()  # the bulk writes went around the store's own append
    return dict(zip(TABLES, counts, strict=True))


def _claim(engine: Engine, specs: list[_AgentSpec], now_ts: int, counts: list[int]) -> None:
    """Check that the store is empty and write the agents, in one write transaction (see
    `cstui.store.bulk.claim`)."""
    rows, added = _agent_rows(specs, now_ts, _fmt_datetime)  # Core binds datetimes
    claim(engine, {"agents": rows, "events": added}, counts)


def _plan_world(
    store: SqlStore,
    specs: list[_AgentSpec],
    tickets: int,
    n_customers: int,
    seed: int,
    now: datetime,
    workers: int,
    live: bool,
    planning: Progress | None = None,
) -> tuple[_World, _Orders]:
    """Everything decided before a ticket is built; orders start being written meanwhile."""
    now_ts = int(now.timestamp())
    c = _plan_customers(seed, n_customers, now_ts, workers)
    orders: _Orders | None = None
    classifying: _Tiers | None = None
    try:
        orders = _Orders(store.engine, c, seed, now_ts, parallel=workers > 1)
        classifying = _Tiers(c, store.rules, now, parallel=workers > 1)
        plan = _Planner(Random(seed * 31 + 2), c, specs, now, store.rules, live=live).plan(
            tickets, planning
        )
        tiers = classifying.finish()  # after the plan: it counted the complaints
    except BaseException:  # Ctrl+C too: the helpers stop here, not at the interpreter's exit
        for helper in (classifying, orders):
            if helper is not None:
                helper.abandon()
        raise
    sqlite = store.engine.dialect.name == "sqlite"
    world = _World(seed, now, store.rules, sqlite, specs, c, plan, tickets, tiers)
    return world, orders


__all__ = ["DEFAULT_NOW", "seed_store"]
