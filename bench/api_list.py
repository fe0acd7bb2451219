"""The list endpoint over HTTP: `GET /api/v1/tickets` latency and throughput on loopback.

Why: with `cstui serve` the whole team's consoles and scripts page queues through one
server. A queue page over HTTP should stay within 5 ms at p95 on loopback, on SQLite and on
PostgreSQL, and the server should not fall over when two clients page at once.

For each backend this script seeds a store (kept between runs), starts the real
`cstui serve --port 0` in its own process (rate limit off, clock pinned), and measures from
a client on the same machine, each request timed from send to parsed JSON:

  endpoint     the first and the deep page with wrk (a C load generator, whose own cost is
               a few microseconds): one keep-alive connection for `--seconds`, p50 / p95 /
               p99, then the first page's requests per second with 1 and 2 connections;
               skipped (and said) when wrk is not installed (`apt-get install wrk`)
  latency      first page and a deep page (cursor at the 90th percentile of the queue),
               interleaved, from Python with httpx (what `HttpStore` pays), one keep-alive
               client: p50 / p95 / p99, and the same pages straight from the store
  throughput   requests per second from Python with 1 client, then 2 clients (two
               processes) at once

    python bench/api_list.py [--tickets 20000] [--backend sqlite,postgres] [--reps 1000]

Stores: `$TMPDIR/cstui-bench/api-<tickets>-seed0.db` and the PostgreSQL database
`cstui_bench_api_<tickets>` at `CSTUI_BENCH_PG` (default: postgres@127.0.0.1:5432).
Results: `bench/results/api_list.json`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from cstui import wire as W
from cstui.domain.model import Role
from cstui.seed import DEFAULT_NOW, seed_store
from cstui.store import View, init_store, open_store
from cstui.store.sql import SqlStore

LIMIT = 50
VIEW = View.UNASSIGNED
TARGET_P95_MS = 5.0
RESULTS = Path(__file__).parent / "results" / "api_list.json"
PG_ADMIN = os.environ.get("CSTUI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BENCH_AGENT = "bench"


# -- the stores -----------------------------------------------------------------------------


def store_target(backend: str, tickets: int) -> str:
    if backend == "sqlite":
        return str(Path(tempfile.gettempdir()) / "cstui-bench" / f"api-{tickets}-seed0.db")
    name = f"cstui_bench_api_{tickets}"
    _ensure_pg_database(name)
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _ensure_pg_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if found.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def prepare(target: str, tickets: int) -> tuple[str, dict[str, Any]]:
    """Seed the store if it is empty; a fresh token for the benchmark's agent."""
    if "://" not in target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    store = init_store(target, clock=lambda: DEFAULT_NOW)
    built: dict[str, Any] = {"seeded_now": False}
    if store.count_tickets(View.ALL_OPEN, actor=None) == 0:
        started = time.perf_counter()
        built = {"seeded_now": True, "rows": seed_store(store, tickets=tickets, seed=0)}
        store.optimize()
        built["seed_seconds"] = round(time.perf_counter() - started, 1)
    token = _token(store)
    built["queue_rows"] = store.count_tickets(VIEW, actor=None)
    store.close()
    return token, built


def _token(store: SqlStore) -> str:
    if BENCH_AGENT not in {a.name for a in store.list_agents()}:
        store.add_agent(BENCH_AGENT, Role.ADMIN)
    return store.issue_token(BENCH_AGENT)


# -- the server -----------------------------------------------------------------------------


@contextmanager
def served(target: str) -> Iterator[str]:
    """`cstui serve` on the store, in its own process; yields its URL."""
    env = {
        **os.environ,
        "CSTUI_SERVER__RATE_LIMIT_PER_SECOND": "0",
        "CSTUI_NOW": DEFAULT_NOW.isoformat(),
    }
    command = [sys.executable, "-m", "cstui", "serve", "--db", target, "--port", "0"]
    proc = subprocess.Popen(
        [*command, "--log-level", "warning"], stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stderr is not None
    found = re.search(r"http://127\.0\.0\.1:\d+", proc.stderr.readline())
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    try:
        if not found:
            raise SystemExit("cstui serve did not start")
        yield found.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def page(c: httpx.Client, cursor: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"view": VIEW.value, "limit": LIMIT}
    if cursor:
        params["cursor"] = cursor
    response = c.get("/tickets", params=params)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def deep_cursor(c: httpx.Client, rows: int, share: float = 0.9) -> tuple[str, int]:
    """The cursor of the page at `share` of the queue, by paging there (as a client would)."""
    wanted = max(1, int(rows * share) // LIMIT)
    cursor = None
    for _ in range(wanted):
        cursor = page(c, cursor)["next_cursor"]
        if cursor is None:
            raise SystemExit("queue shorter than expected")
    assert cursor is not None
    return cursor, wanted + 1


# -- measuring ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(ms, 0.50), 3),
        "p95_ms": round(percentile(ms, 0.95), 3),
        "p99_ms": round(percentile(ms, 0.99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def direct_page(store: SqlStore, cursor: str | None = None) -> str:
    """What the endpoint does, without HTTP: the store's page as the same JSON text."""
    found = store.list_tickets(VIEW, actor=None, limit=LIMIT, cursor=cursor)
    return json.dumps(W.page(W.TicketPublic, found), ensure_ascii=False)


def latency(
    url: str, token: str, target: str, cursor: str, reps: int
) -> dict[str, dict[str, float]]:
    """First and deep pages over HTTP, and the same pages straight from the store in this
    process (the baseline: what HTTP adds is the difference), all interleaved so that noise
    hits every case alike."""
    store = open_store(target, clock=lambda: DEFAULT_NOW)
    cases = {
        "http first page": lambda c: page(c),
        "http deep page": lambda c: page(c, cursor),
        "store first page": lambda c: direct_page(store),
        "store deep page": lambda c: direct_page(store, cursor),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    with client(url, token) as c:
        for _ in range(50):  # warm-up: connections, caches, the server's statements
            for run in cases.values():
                run(c)
        for _ in range(reps):
            for name, run in cases.items():
                started = time.perf_counter()
                run(c)
                times[name].append((time.perf_counter() - started) * 1000)
    store.close()
    return {name: summary(ms) for name, ms in times.items()}


def _pages_for(args: tuple[str, str, str, float]) -> int:
    """One client paging (first and deep, alternately) for `seconds`: how many pages."""
    url, token, cursor, seconds = args
    done = 0
    with client(url, token) as c:
        page(c)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            page(c, cursor if done % 2 else None)
            done += 1
    return done


def throughput(url: str, token: str, cursor: str, seconds: float) -> dict[str, float]:
    out: dict[str, float] = {}
    ctx = multiprocessing.get_context("spawn")
    for clients in (1, 2):
        with ctx.Pool(clients) as pool:
            counts = pool.map(_pages_for, [(url, token, cursor, seconds)] * clients)
        out[f"{clients} client{'s' if clients > 1 else ''} rps"] = round(sum(counts) / seconds, 1)
    return out


WRK_REPORT = """
done = function(summary, latency, requests)
  for _, p in pairs({50, 95, 99}) do
    io.write(string.format("p%d_ms %.3f\\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("requests %d\\n", summary.requests))
  io.write(string.format("bad %d\\n", summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def with_wrk(url: str, token: str, cursor: str, seconds: float | int) -> dict[str, Any]:
    """The endpoint measured by wrk: the first and the deep page's latency on one
    connection, then the first page's requests per second on 1 and 2 connections."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    first = f"{url}/api/v1/tickets?view={VIEW.value}&limit={LIMIT}"
    runs = [("first page", first, 1), ("deep page", f"{first}&cursor={quote(cursor)}", 1)]
    runs += [("", first, 2)]
    seconds = max(1, round(seconds))  # wrk takes whole seconds
    out: dict[str, Any] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        for case, target, connections in runs:
            command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name]
            command += ["-H", f"Authorization: Bearer {token}", target]
            text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            found = dict(re.findall(r"^(p\d+_ms|requests|bad) ([\d.]+)$", text, re.M))
            if float(found["bad"]):
                raise SystemExit(f"wrk: {found['bad']} failed requests")
            if case:
                out[case] = {k: float(v) for k, v in found.items() if k.endswith("_ms")}
            if case != "deep page":
                rps = round(float(found["requests"]) / seconds, 1)
                out[f"{connections} connection{'s' if connections > 1 else ''} rps"] = rps
    return out


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    target = store_target(backend, args.tickets)
    token, built = prepare(target, args.tickets)
    with served(target) as url:
        with client(url, token) as c:
            cursor, deep_page = deep_cursor(c, built["queue_rows"])
        result = {
            "store": built,
            "deep_page_number": deep_page,
            "wrk": with_wrk(url, token, cursor, args.seconds),
            "latency": latency(url, token, target, cursor, args.reps),
            "throughput": throughput(url, token, cursor, args.seconds),
        }
    pages = [result["wrk"].get(case) for case in ("first page", "deep page")]
    result["endpoint_meets_p95_target"] = all(p and p["p95_ms"] <= TARGET_P95_MS for p in pages)
    result["httpx_meets_p95_target"] = all(
        v["p95_ms"] <= TARGET_P95_MS for k, v in result["latency"].items() if k.startswith("http")
    )
    return result


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"`GET /api/v1/tickets?view={VIEW.value}&limit={LIMIT}`, {result['tickets']:,} tickets, "
        f"{result['reps']} requests per case (interleaved), {result['seconds']} s per "
        f"throughput run; load average at start {_load(result)}.",
        "",
        "| backend | case | p50 ms | p95 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for backend, r in result["backends"].items():
        for name, t in r["latency"].items():
            lines.append(
                f"| {backend} | {name} | {t['p50_ms']:.2f} | {t['p95_ms']:.2f} | "
                f"{t['p99_ms']:.2f} |"
            )
    lines += ["", "| backend | 1 client rps | 2 clients rps |", "| --- | ---: | ---: |"]
    for backend, r in result["backends"].items():
        rps = r["throughput"]
        lines.append(f"| {backend} | {rps['1 client rps']:.0f} | {rps['2 clients rps']:.0f} |")
    lines += [
        "",
        "wrk (one keep-alive connection; requests per second on the first page):",
        "",
        "| backend | case | p50 ms | p95 ms | p99 ms | 1 connection rps | 2 connections rps |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, r in result["backends"].items():
        w = r["wrk"]
        if "skipped" in w:
            lines.append(f"| {backend} | {w['skipped']} | | | | | |")
            continue
        for case in ("first page", "deep page"):
            t = w[case]
            rps = (
                f"{w['1 connection rps']:.0f} | {w['2 connections rps']:.0f}"
                if case == "first page"
                else " | "
            )
            lines.append(
                f"| {backend} | {case} | {t['p50_ms']:.2f} | {t['p95_ms']:.2f} | "
                f"{t['p99_ms']:.2f} | {rps} |"
            )
    return "\n".join(lines)


def _load(result: dict[str, Any]) -> str:
    load = result["machine"]["load_average_at_start"]
    return "—" if load is None else f"{load[0]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--backend", default="sqlite,postgres")
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result: dict[str, Any] = {
        "machine": machine(),
        "tickets": args.tickets,
        "view": VIEW.value,
        "limit": LIMIT,
        "reps": args.reps,
        "seconds": args.seconds,
        "target_p95_ms": TARGET_P95_MS,
        "backends": {b: run_backend(b, args) for b in args.backend.split(",")},
    }
    print(markdown(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
