"""Automation sweep at scale: how long one sweep takes to find every due item, and how long
firing 10,000 due items takes, on a million-ticket store.

Why: `cstui serve` sweeps every 30 s; at a million tickets a sweep must find what is due
through the partial indexes on the due columns (never reading every ticket), and a backlog
(automations turned on for the first time, or after an outage) must be worked off quickly.
Targets: finding ≤ 200 ms p95; firing 10,000 ≤ 10 s.

Measured, at the seed's "now" with the default policy (24 h catch-up window):

  (a) find, cold: nothing fired yet, so every due item in the window is found (the first
      sweep after turning the automations on);
  (b) fire: the first 10,000 of them carried out (each: lock, re-check, key, action, event),
      in the store's batches of 200 per transaction;
  (c) find, steady: sweeps every 30 s of store time after the backlog was fired, each
      from where the last got to (what every sweep of `cstui serve` costs).

It also prints the query plan of every query a sweep runs (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN on PostgreSQL), and writes everything as JSON.

    python bench/automation_sweep.py --tickets 1000000 [--db PATH_OR_URL] [--reps 30]

A SQLite file that does not exist yet is seeded with `cstui.seed.seed_store` first; the
bench works on a copy, so the seeded file stays as seeded. A PostgreSQL URL names a
database seeded beforehand (`cstui seed --tickets 1000000 --db URL`): the bench works on a
copy made with CREATE DATABASE … TEMPLATE, dropped afterwards, and writes its results to
`automation_sweep_postgresql.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from cstui.domain.automations import AutomationPolicy
from cstui.seed import DEFAULT_NOW, seed_store
from cstui.store import init_store, open_store
from cstui.store.automations import due
from cstui.store.automations.sweep import batches, find_due, fire_batch, save_position
from cstui.store.sql import SqlStore

RESULTS = Path(__file__).parent / "results" / "automation_sweep.json"
PG_RESULTS = RESULTS.with_name("automation_sweep_postgresql.json")
FIRE = 10_000


def ensure_store(path: Path, tickets: int) -> dict[str, Any]:
    if path.exists():
        return {"seeded_now": False}
    path.parent.mkdir(parents=True, exist_ok=True)
    store = init_store(str(path))
    started = time.perf_counter()
    counts = seed_store(store, tickets=tickets, seed=0)
    store.optimize()
    store.close()
    return {
        "seeded_now": True,
        "seed_seconds": round(time.perf_counter() - started, 1),
        "rows": counts,
    }


def timed_find(store: SqlStore, policy: AutomationPolicy, reps: int) -> tuple[list[float], int]:
    times, found = [], 0
    for _ in range(reps):
        started = time.perf_counter()
        result = store._reading(find_due, now=DEFAULT_NOW, policy=policy)
        times.append((time.perf_counter() - started) * 1000)
        found = len(result.firings)
    return times, found


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
            "max_ms": round(ordered[-1], 1)}  # fmt: skip


def plans(store: SqlStore, policy: AutomationPolicy) -> dict[str, list[str]]:
    """The plan of each source's keyset query, the green read and the event page."""
    out: dict[str, list[str]] = {}
    windows = due.windows(DEFAULT_NOW, policy)
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.connect() as conn:
        for source, query in due.QUERIES.items():
            if source not in windows:
                continue  # a rule that is off (auto_assign) is not read at all
            lo, hi = windows[source]
            params = {"lo": lo, "hi": hi, "after_at": lo, "after": -1, "n": due.PAGE}
            out[source] = _explain(conn, query, params, sqlite)
        out["green_facts"] = _explain(conn, due._GREEN_OF, {"ids": [1, 2, 3]}, sqlite)
        out["events"] = _explain(
            conn,
            due._EVENTS,
            {"after": 0, "position": 0, "since": DEFAULT_NOW - due.GRACE,
             "kinds": list(due.EVENT_KINDS), "n": due.PAGE},
            sqlite,
        )  # fmt: skip
    return out


def _explain(conn: Any, query: Any, params: dict[str, Any], sqlite: bool) -> list[str]:
    """The plan of a `text()` query, its typed (and expanding) parameters kept."""
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    stmt = text(prefix + query.text).bindparams(*query._bindparams.values())
    rows = conn.execute(stmt, params).all()
    return [str(r[-1]) if sqlite else str(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument(
        "--db", default=None, help="a SQLite path (default: a temp file) or a PostgreSQL URL"
    )
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    if args.db and args.db.startswith("postgresql"):
        return main_postgresql(args.db, args.tickets, args.reps)
    seeded = Path(args.db or Path(tempfile.gettempdir()) / f"cstui-auto-{args.tickets}.db")
    build = ensure_store(seeded, args.tickets)
    work = seeded.with_name(seeded.stem + "-work.db")
    shutil.copyfile(seeded, work)  # firing writes: keep the seeded world as it was
    init_store(str(work)).close()  # migrate a store seeded by an older schema
    store = open_store(str(work), clock=lambda: DEFAULT_NOW)
    policy = AutomationPolicy(enabled=True)
    try:
        report = run(store, policy, args.reps)
    finally:
        store.close()
        work.unlink(missing_ok=True)
    report |= {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": os.getloadavg()},
        "store": build, "tickets": args.tickets, "db_mb": round(seeded.stat().st_size / 1e6),
    }  # fmt: skip
    write(RESULTS, report)


def write(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "plans"}, indent=2))
    for name, plan in report["plans"].items():
        print(f"-- {name}")
        for line in plan:
            print(f"   {line}")


def main_postgresql(url: str, tickets: int, reps: int) -> None:
    """The same runs on a copy of the seeded database `url` (firing writes)."""
    base, _, name = url.rpartition("/")
    work = f"{name}_work"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{work}"'))
        conn.execute(text(f'CREATE DATABASE "{work}" TEMPLATE "{name}"'))
        size = conn.execute(text("SELECT pg_database_size(:n)"), {"n": name}).scalar_one()
    try:
        init_store(f"{base}/{work}").close()  # migrate a store seeded by an older schema
        store = open_store(f"{base}/{work}", clock=lambda: DEFAULT_NOW)
        try:
            store._writing(lambda tx: tx.conn.execute(text("ANALYZE")))
            report = run(store, AutomationPolicy(enabled=True), reps)
        finally:
            store.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)'))
        admin.dispose()
    report |= {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": os.getloadavg()},
        "store": {"backend": "postgresql", "seeded_now": False}, "tickets": tickets,
        "db_mb": round(size / 1e6),
    }  # fmt: skip
    write(PG_RESULTS, report)


def run(store: SqlStore, policy: AutomationPolicy, reps: int) -> dict[str, Any]:
    cold, found = timed_find(store, policy, 3)
    firings = store._reading(find_due, now=DEFAULT_NOW, policy=policy)
    subset = firings.firings[:FIRE]
    started = time.perf_counter()
    fired = 0
    for batch in batches(subset):
        fired += store._writing(fire_batch, batch, now=DEFAULT_NOW, policy=policy)
    fire_s = time.perf_counter() - started
    for batch in batches(firings.firings[FIRE:]):
        store._writing(fire_batch, batch, now=DEFAULT_NOW, policy=policy)
    store._writing(save_position, position=firings.position, now=DEFAULT_NOW)
    steady, per_sweep = timed_steady(store, policy, reps)
    by_rule: dict[str, int] = {}
    for f in firings.firings:
        by_rule[f.rule.value] = by_rule.get(f.rule.value, 0) + 1
    return {
        "find_cold": summary(cold) | {"found": found, "by_rule": by_rule},
        "fire": {"firings": len(subset), "fired": fired, "seconds": round(fire_s, 2),
                 "per_second": round(fired / fire_s) if fire_s else None},
        "find_steady": summary(steady) | {"found_per_sweep": per_sweep},
        "reps": reps,
        "plans": plans(store, policy),
    }  # fmt: skip


def timed_steady(
    store: SqlStore, policy: AutomationPolicy, reps: int
) -> tuple[list[float], list[int]]:
    """Sweeps every 30 s of store time after the backlog: each finds what fell due since
    the last (timed), fires it and saves its place, as `cstui serve` does."""
    times, found = [], []
    for k in range(1, reps + 1):
        at = DEFAULT_NOW + timedelta(seconds=30 * k)
        started = time.perf_counter()
        result = store._reading(find_due, now=at, policy=policy)
        times.append((time.perf_counter() - started) * 1000)
        found.append(len(result.firings))
        for batch in batches(result.firings):
            store._writing(fire_batch, batch, now=at, policy=policy)
        store._writing(save_position, position=result.position, now=at)
    return times, found


if __name__ == "__main__":
    sys.exit(main())
