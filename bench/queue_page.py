"""Queue page latency: the store's `list_tickets` against the same SQL on raw sqlite3.

Why: the console's main screen is a queue page, and a supervisor scrolls deep into a
million-ticket backlog over SSH. Keyset pagination should make a deep page cost what the
first one does, and the store's own overhead (SQLAlchemy, hydrating domain objects) should
stay within 3x of the bare query. This script measures both in one run, side by side:

  (a) store, first page      (b) store, a page at the 90th percentile of the queue
  (c) raw sqlite3, first page (d) raw sqlite3, the same deep page

The raw side runs the very SQL text the store runs (`rows.ticket_select` with the view's
`views.keyset_sql`; each row carries its escalations and links as JSON) on one open
sqlite3 connection, and only fetches rows. It also prints EXPLAIN QUERY PLAN for every
view, a breakdown of where the store's time goes, and writes everything as JSON.

    python bench/queue_page.py --tickets 1000000 [--db PATH] [--reps 300]

The store is seeded with `cstui.seed.seed_store` when the file does not exist yet.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import text

from cstui.domain.model import Ticket
from cstui.seed import DEFAULT_NOW, seed_store
from cstui.store import View, init_store, open_store
from cstui.store import rows as R
from cstui.store.sql import SqlStore
from cstui.store.views import VIEW_SPECS, decode_cursor, encode_cursor, keyset_sql

LIMIT = 50
RESULTS = Path(__file__).parent / "results" / "queue_page.json"


# -- the store under test -------------------------------------------------------------------


def ensure_store(path: Path, tickets: int, seed: int) -> dict[str, Any]:
    """Seed the store unless the file exists; returns how it was built (or that it was)."""
    if path.exists():
        return {"seeded_now": False}
    path.parent.mkdir(parents=True, exist_ok=True)
    store = init_store(str(path))
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 10 or done == total:
            last[0] = time.perf_counter()
            print(
                f"  seeding: {done:,}/{total:,} tickets, {last[0] - started:.0f} s", file=sys.stderr
            )

    counts = seed_store(store, tickets=tickets, seed=seed, progress=progress)
    if hasattr(store, "optimize"):  # what `cstui seed` does after seeding: ANALYZE
        store.optimize()
    store.close()
    return {
        "seeded_now": True,
        "seed_seconds": round(time.perf_counter() - started, 1),
        "rows": counts,
    }


# -- the queries --------------------------------------------------------------------------


def page_sql(view: View, *, after: bool) -> str:
    """The page query exactly as `SqlStore.list_tickets` builds it."""
    where, order = keyset_sql(VIEW_SPECS[view], after=after)
    return f"{R.ticket_select('sqlite')} WHERE {where} ORDER BY {order} LIMIT :n"


def deep_keys(
    conn: sqlite3.Connection, view: View, share: float, params: dict[str, Any] | None = None
) -> tuple[Any, int]:
    """The order keys of the row at `share` of the queue (as stored), and its position."""
    spec = VIEW_SPECS[view]
    where, order = keyset_sql(spec, after=False)
    params = params or {}
    total = conn.execute(f"SELECT count(*) FROM tickets t WHERE {where}", params).fetchone()[0]
    position = int(total * share)
    cols = ", ".join(f"t.{c}" for c in spec.order)
    row = conn.execute(
        f"SELECT {cols} FROM tickets t WHERE {where} ORDER BY {order} LIMIT 1 OFFSET :offset",
        {**params, "offset": position},
    ).fetchone()
    return (tuple(row) if row else None), position


def store_cursor(view: View, keys: tuple[Any, ...]) -> str:
    """A cursor as the store makes it: datetimes as aware values."""
    spec = VIEW_SPECS[view]
    return encode_cursor(
        tuple(
            R.dt(v) if name in ("due_key", "follow_up_due", "resolved_at") else v
            for name, v in zip(spec.order, keys, strict=True)
        )
    )


def raw_page(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    """The bare cost: the page query, rows fetched, nothing built."""
    return conn.execute(sql, params).fetchall()[:LIMIT]


# -- timing ---------------------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(
    cases: dict[str, Callable[[], Any]], reps: int, warmup: int = 20
) -> dict[str, dict[str, float]]:
    """Interleave the cases (a, b, c, d, b, c, d, a, …) so that noise hits all alike."""
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    gc.collect()
    for rep in range(reps):
        for i in range(len(names)):
            name = names[(rep + i) % len(names)]
            started = time.perf_counter()
            cases[name]()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {
            "p50_ms": round(percentile(s, 50), 3),
            "p95_ms": round(percentile(s, 95), 3),
            "mean_ms": round(sum(s) / len(s), 3),
        }
        for name, s in samples.items()
    }


# -- where the store's time goes ----------------------------------------------------------


def _store_statement(sql: str, order: tuple[str, ...]) -> Any:
    """The page statement as the store builds it (its cached builder when it has one)."""
    from cstui.store import sql as store_sql

    try:
        from cstui.store import queue as store_queue
    except ImportError:  # a store from before the queue module
        store_queue = store_sql
    build = (
        getattr(store_queue, "_page_statement", None)
        or getattr(store_sql, "_page_statement", None)
        or getattr(store_sql, "_typed", None)
    )
    if build is None:
        return text(sql)
    if build.__name__ == "_typed":
        return build(text(sql), order, True)
    return build(sql, order, True)


def breakdown(
    store: SqlStore,
    path: Path,
    view: View,
    cursor: str,
    raw_sql: str,
    raw_params: dict[str, Any],
    reps: int = 200,
) -> dict[str, float]:
    """The store's deep page split into its parts, each timed on its own (ms per page).

    SQL parts run inside one read transaction held open, so that getting a connection is a
    line of its own. Private store functions are looked up by name: the store evolves.
    """
    spec = VIEW_SPECS[view]
    keys = {f"k{i}": v for i, v in enumerate(decode_cursor(cursor, spec.order))}
    sql = page_sql(view, after=True)
    raw = sqlite3.connect(path)
    rows = raw.execute(raw_sql, raw_params).fetchall()[:LIMIT]

    def per_call(fn: Callable[[], Any]) -> float:
        for _ in range(10):
            fn()
        started = time.perf_counter()
        for _ in range(reps):
            fn()
        return round((time.perf_counter() - started) * 1000 / reps, 3)

    def read_transaction() -> None:
        with store._read() as c:
            c.exec_driver_sql("SELECT 1").all()

    with store._read() as conn:
        sa_rows = conn.execute(_store_statement(sql, spec.order), {**keys, "n": LIMIT + 1}).all()[
            :LIMIT
        ]
        parts = {
            "store.list_tickets, deep page (all of it)": per_call(
                lambda: store.list_tickets(view, actor=None, limit=LIMIT, cursor=cursor)
            ),
            "store._read(): a connection from the engine, BEGIN, SELECT 1, COMMIT": per_call(
                read_transaction
            ),
            "building the page statement (text() + typed binds)": per_call(
                lambda: _store_statement(sql, spec.order)
            ),
            "page query via Connection.execute + .all(), in the open transaction": per_call(
                lambda: conn.execute(
                    _store_statement(sql, spec.order), {**keys, "n": LIMIT + 1}
                ).all()
            ),
            "same SQL via Connection.exec_driver_sql + .all()": per_call(
                lambda: conn.exec_driver_sql(raw_sql, raw_params).all()
            ),
            "50 ticket_from_row on the store's rows (no SQL)": per_call(
                lambda: [R.ticket_from_row(r) for r in sa_rows]
            ),
            "50 ticket_from_row on raw rows (no SQL)": per_call(
                lambda: [R.ticket_from_row(r) for r in rows]
            ),
            "raw sqlite3: the page query (case d)": per_call(
                lambda: raw_page(raw, raw_sql, raw_params)
            ),
        }
    raw.close()
    return parts


def views_first_and_deep(
    store: SqlStore, raw: sqlite3.Connection, reps: int = 60
) -> dict[str, dict[str, float]]:
    """Every view through the store: first page and a page at the 90th percentile (p50 ms).

    A deep page costing more than the first means the cursor does not seek in the index.
    """
    busiest = raw.execute(
        "SELECT a.name, a.id FROM tickets t JOIN agents a ON a.id = "
        "t.owner_id WHERE t.active = 1 GROUP BY a.id ORDER BY count(*) DESC "
        "LIMIT 1"
    ).fetchone()
    out: dict[str, dict[str, float]] = {}
    for view in View:
        actor = busiest[0] if view is View.MINE else None
        risk_until = DEFAULT_NOW + store.rules.sla.risk_window  # the store's clock is fixed
        params = {
            "actor_id": busiest[1],
            "risk_until": risk_until.replace(tzinfo=None).isoformat(timespec="microseconds"),
        }
        keys, position = deep_keys(raw, view, 0.9, params)
        if keys is None:
            continue
        cursor = store_cursor(view, keys)
        timings = measure(
            {
                "first": partial(store.list_tickets, view, actor=actor, limit=LIMIT),
                "deep": partial(store.list_tickets, view, actor=actor, limit=LIMIT, cursor=cursor),
            },
            reps,
            warmup=5,
        )
        out[view.value] = {
            "rows": store.count_tickets(view, actor=actor),
            "deep_position": position,
            "first_p50_ms": timings["first"]["p50_ms"],
            "deep_p50_ms": timings["deep"]["p50_ms"],
        }
    return out


def profile(store: SqlStore, view: View, cursor: str, calls: int = 300) -> list[dict[str, Any]]:
    """cProfile of deep pages: the functions with the most time of their own."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        store.list_tickets(view, actor=None, limit=LIMIT, cursor=cursor)
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (file, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({func})",
                "calls_per_page": round(ncalls / calls, 1),
                "own_ms_per_page": round(tottime * 1000 / calls, 4),
                "cum_ms_per_page": round(cumtime * 1000 / calls, 4),
            }
        )
    return sorted(rows, key=lambda r: -r["own_ms_per_page"])[:25]


# -- plans ----------------------------------------------------------------------------------


def plans(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """EXPLAIN QUERY PLAN of every view's page, first and after a cursor."""
    params: dict[str, Any] = {
        "n": LIMIT + 1,
        "actor_id": 1,
        "risk_until": "2026-11-20T02:30:00.000000",
    }
    out: dict[str, dict[str, Any]] = {}
    for view in View:
        spec = VIEW_SPECS[view]
        keys = {
            f"k{i}": (
                0
                if c not in ("due_key", "follow_up_due", "resolved_at")
                else "2026-11-19T00:00:00.000000"
            )
            for i, c in enumerate(spec.order)
        }
        for after in (False, True):
            sql = page_sql(view, after=after)
            detail = [r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", {**params, **keys})]
            tickets_step = next((d for d in detail if d.startswith(("SCAN t", "SEARCH t"))), "")
            out[f"{view.value}{' (after cursor)' if after else ''}"] = {
                "plan": detail,
                "tickets_scan": tickets_step,
                "temp_btree": any("TEMP B-TREE" in d for d in detail),
            }
    return out


# -- the run --------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(
        args.db
        or Path(tempfile.gettempdir()) / "cstui-bench" / f"queue-{args.tickets}-seed{args.seed}.db"
    )
    built = ensure_store(path, args.tickets, args.seed)
    store = open_store(str(path), clock=lambda: DEFAULT_NOW)
    raw = sqlite3.connect(path)
    view = View.UNASSIGNED
    keys, position = deep_keys(raw, view, args.share)
    cursor = store_cursor(view, keys)
    first_sql, deep_sql = page_sql(view, after=False), page_sql(view, after=True)
    deep_params = {"n": LIMIT + 1, **{f"k{i}": v for i, v in enumerate(keys)}}
    check_same_page(store, raw, cursor, deep_sql, deep_params)
    cases = {
        "a store first page": lambda: store.list_tickets(view, actor=None, limit=LIMIT),
        "b store deep page": lambda: store.list_tickets(
            view, actor=None, limit=LIMIT, cursor=cursor
        ),
        "c raw first page": lambda: raw_page(raw, first_sql, {"n": LIMIT + 1}),
        "d raw deep page": lambda: raw_page(raw, deep_sql, deep_params),
    }
    timings = measure(cases, args.reps)
    result = {
        "machine": machine(),
        "db": str(path),
        "db_mb": round(path.stat().st_size / 1e6),
        "store": built,
        "tickets": count(raw, "tickets"),
        "queue": {
            "view": view.value,
            "rows": store.count_tickets(view, actor=None),
            "deep_position": position,
            "deep_page_number": position // LIMIT + 1,
        },
        "reps": args.reps,
        "timings": timings,
        "ratios": ratios(timings),
        "plans": plans(raw),
        "breakdown_ms": breakdown(store, path, view, cursor, deep_sql, deep_params),
        "views_p50_ms": views_first_and_deep(store, raw),
    }
    if args.profile:
        result["profile"] = profile(store, view, cursor)
    store.close()
    return result


def check_same_page(
    store: SqlStore, raw: sqlite3.Connection, cursor: str, sql: str, params: dict[str, Any]
) -> None:
    """Both sides must fetch the same tickets, or the comparison means nothing."""
    page = store.list_tickets(View.UNASSIGNED, actor=None, limit=LIMIT, cursor=cursor)
    raw_ids = [r[0] for r in raw.execute(sql, params).fetchall()[:LIMIT]]
    if [t.id for t in page.items] != raw_ids:
        raise SystemExit("store and raw pages differ: the benchmark is broken")
    assert all(isinstance(t, Ticket) for t in page.items)


def ratios(t: dict[str, dict[str, float]]) -> dict[str, float]:
    p95 = {name.split(" ", 1)[1]: v["p95_ms"] for name, v in t.items()}
    return {
        "store/raw p95, first page": round(p95["store first page"] / p95["raw first page"], 2),
        "store/raw p95, deep page": round(p95["store deep page"] / p95["raw deep page"], 2),
        "deep/first p95, store": round(p95["store deep page"] / p95["store first page"], 2),
        "deep/first p95, raw": round(p95["raw deep page"] / p95["raw first page"], 2),
    }


def count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": load,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def markdown(result: dict[str, Any]) -> str:
    t, r = result["timings"], result["ratios"]
    lines = [
        f"Queue `{result['queue']['view']}`: {result['queue']['rows']:,} rows of "
        f"{result['tickets']:,} tickets; deep page = page {result['queue']['deep_page_number']:,}"
        f" (90th percentile); {result['reps']} repetitions each, interleaved.",
        "",
        "| case | p50 ms | p95 ms |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {v['p50_ms']:.2f} | {v['p95_ms']:.2f} |" for name, v in t.items()),
        "",
        "| ratio (p95) | value |",
        "| --- | ---: |",
        *(f"| {name} | {value:.2f} |" for name, value in r.items()),
        "",
        "| where the store's deep page goes | ms per page |",
        "| --- | ---: |",
        *(f"| {name} | {ms:.3f} |" for name, ms in result["breakdown_ms"].items()),
        "",
        "| view (store) | rows | first page p50 ms | deep page p50 ms |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {name} | {v['rows']:,} | {v['first_p50_ms']:.2f} | {v['deep_p50_ms']:.2f} |"
            for name, v in result["views_p50_ms"].items()
        ),
        "",
        "| view | tickets step of EXPLAIN QUERY PLAN | temp B-tree |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {p['tickets_scan']} | {'yes' if p['temp_btree'] else 'no'} |"
            for name, p in result["plans"].items()
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", help="the store file (seeded when missing)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--share", type=float, default=0.9, help="where the deep page is")
    parser.add_argument("--profile", action="store_true", help="add a cProfile of deep pages")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = run(args)
    print(markdown(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
