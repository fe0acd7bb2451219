"""Quality figures at a million tickets: kept sums against the replay, and what keeping costs.

Part 1, reading. For each of `cstui report --period day|week|month` and `cstui metrics`
(all time), the whole process is timed and its peak RSS taken (`wait4`), reading the sums
the store keeps; then the same figures are computed by replaying the log (`window_events`
and `report.build` / `metrics.compute`, what those commands did before) in a process of its
own. Both print the same JSON, which must be equal: every figure is exact.

Part 2, writing. `--appends N` adds N events through the store's commands (create, take,
reply, note, resolve, CSAT: a ticket's usual life) with the figures kept, and N without
(`store.figures.KEEP = False`), in interleaved blocks, and reports the ratio of the times.
It writes to the store: run it on a copy (the figures are rebuilt at the end).

    CSTUI_NOW=2026-11-20T02:00:00+00:00 .venv/bin/python bench/figures.py \\
        --db /path/to/copy-of-s1m.db [--kept-reps 3] [--appends 100000]

Results: `bench/results/figures.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "figures.json"
PYTHON = sys.executable

# The replay, as `cstui report` and `cstui metrics` computed the figures before they were kept.
REPLAY_REPORT = """
import json, sys
from zoneinfo import ZoneInfo
from cstui import reporting
from cstui.cli.context import clock_from_env
from cstui.config import goals_from_settings, load_settings
from cstui.domain.report import build, previous_window, window
from cstui.store.sql import SqlStore
period = sys.argv[2]
settings = load_settings()
tz = ZoneInfo(settings.timezone)
now = clock_from_env()()
store = SqlStore.open(sys.argv[1])
current = window(now, period, tz)
before = previous_window(current, tz)
events = store.window_events(since=before.since, until=current.until)
result = build(events, at=now, period=period, tz=tz, goals=goals_from_settings(settings))
print(json.dumps(reporting.as_json(result)))
"""
REPLAY_METRICS = """
import json, sys
from cstui.domain import metrics as m
from cstui.store.sql import SqlStore
store = SqlStore.open(sys.argv[1])
events = list(store.events())
team = m.compute(events)
agents = {k: m.as_dict(v) for k, v in sorted(m.by_agent(events).items())}
print(json.dumps({"team": m.as_dict(team), "agents": agents}))
"""

CASES: dict[str, tuple[list[str], str, list[str]]] = {
    "day": (["report", "--period", "day", "--format", "md"], REPLAY_REPORT, ["day"]),
    "week": (["report", "--period", "week", "--format", "md"], REPLAY_REPORT, ["week"]),
    "month": (["report", "--period", "month", "--format", "md"], REPLAY_REPORT, ["month"]),
    "all-time": (["metrics", "--by-agent"], REPLAY_METRICS, []),
}


def timed(argv: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS in MB (GNU time's %M) and stdout
    of one whole process. On a shared machine the CPU seconds are the steadier figure."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "PEAK_KB %M %U %S", *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:6])}: exit {proc.returncode}: {proc.stderr.strip()}")
    line = [x for x in proc.stderr.splitlines() if x.startswith("PEAK_KB ")][-1].split()
    return took, float(line[2]) + float(line[3]), int(line[1]) / 1024, proc.stdout


def read_side(db: str, kept_reps: int, cases: list[str]) -> list[dict[str, Any]]:
    cstui = [PYTHON, "-m", "cstui", "--db", db]
    rows: list[dict[str, Any]] = []
    start_wall, start_cpu, start_peak, _ = timed([*cstui, "--help"])  # the floor: startup
    print(
        f"| (startup: cstui --help) | {start_wall:.2f} s | {start_cpu:.2f} s | "
        f"{start_peak:.0f} MB | | | | |",
        flush=True,
    )
    for name in cases:
        args, replay, extra = CASES[name]
        runs = [timed([*cstui, *args, "--json"]) for _ in range(kept_reps)]
        r_took, r_cpu, r_peak, r_out = timed([PYTHON, "-c", replay, db, *extra])
        kept_out = runs[0][3]
        same = json.loads(kept_out) == json.loads(r_out)
        row = {
            "case": name,
            "kept_s": statistics.median(r[0] for r in runs),
            "kept_cpu_s": statistics.median(r[1] for r in runs),
            "kept_peak_mb": max(r[2] for r in runs),
            "replay_s": r_took,
            "replay_cpu_s": r_cpu,
            "replay_peak_mb": r_peak,
            "equal": same,
            "kept": json.loads(kept_out),
        }
        if not same:
            row["replay"] = json.loads(r_out)
        rows.append(row)
        print(
            f"| {name} | {row['kept_s']:.2f} s | {row['kept_cpu_s']:.2f} s | "
            f"{row['kept_peak_mb']:.0f} MB | {r_took:.1f} s | {r_cpu:.1f} s | {r_peak:.0f} MB "
            f"| {same} |",
            flush=True,
        )
    rows.append(
        {"case": "startup", "wall_s": start_wall, "cpu_s": start_cpu, "peak_mb": start_peak}
    )
    return rows


# -- part 2: appending --------------------------------------------------------------------


def _life(store: Any, customer_id: int, agent: str, n: int) -> None:
    """One ticket's usual life through the store's commands (about seven events)."""
    from cstui.domain.model import Category, Channel, MessageKind, ResolutionCode
    from cstui.store.base import NewTicket

    ticket = store.create_ticket(
        NewTicket(
            customer_id=customer_id,
            subject=f"bench {n}",
            body="where is my parcel",
            channel=Channel.CHAT,
            category=Category.LOGISTICS,
        )
    )
    if ticket.owner is None:  # routing may have given it an owner already
        store.take(ticket.id, actor=agent)
    else:
        agent = ticket.owner
    store.add_message(ticket.id, actor=agent, kind=MessageKind.REPLY, text="on its way")
    store.add_message(ticket.id, actor=agent, kind=MessageKind.NOTE, text="checked")
    store.resolve(ticket.id, actor=agent, code=ResolutionCode.SOLVED)
    store.record_csat(ticket.id, score=4 + n % 2)


def _last_event(store: Any) -> int:
    from sqlalchemy import func, select

    from cstui.store.schema import EVENTS

    with store.engine.connect() as conn:
        return int(conn.execute(select(func.max(EVENTS.c.id))).scalar() or 0)


def write_side(db: str, appends: int, block: int) -> dict[str, Any]:
    from sqlalchemy import select

    from cstui.store import figures
    from cstui.store.schema import AGENTS, CUSTOMERS
    from cstui.store.sql import SqlStore

    store = SqlStore.open(db)
    with store.engine.connect() as conn:
        agents = [r[0] for r in conn.execute(select(AGENTS.c.name).where(AGENTS.c.role == "agent"))]
        customer = int(conn.execute(select(CUSTOMERS.c.id).limit(1)).scalar_one())
    done = {True: 0, False: 0}
    spent = {True: 0.0, False: 0.0}
    cpu = {True: 0.0, False: 0.0}  # this process's: SQLite works in it
    n = 0
    while min(done.values()) < appends:
        for keep in (True, False):  # interleaved: noise hits both alike
            figures.KEEP = keep
            first = _last_event(store)
            start, start_cpu = time.perf_counter(), time.process_time()
            while _last_event(store) - first < block:
                n += 1
                _life(store, customer, agents[n % len(agents)], n)
            spent[keep] += time.perf_counter() - start
            cpu[keep] += time.process_time() - start_cpu
            done[keep] += _last_event(store) - first
            print(
                f"  {'kept' if keep else 'without'}: {done[keep]} events, {spent[keep]:.1f} s, "
                f"{cpu[keep]:.1f} s CPU",
                flush=True,
            )
    figures.KEEP = True
    per_event = {k: spent[k] / done[k] for k in (True, False)}
    ratio = per_event[True] / per_event[False]
    cpu_ratio = (cpu[True] / done[True]) / (cpu[False] / done[False])
    print(
        f"appends: {done[True]} events kept {spent[True]:.1f} s ({cpu[True]:.1f} s CPU), "
        f"{done[False]} events without {spent[False]:.1f} s ({cpu[False]:.1f} s CPU); "
        f"per event {per_event[True] * 1e3:.3f} ms against {per_event[False] * 1e3:.3f} ms: "
        f"wall {100 * (ratio - 1):+.1f}%, CPU {100 * (cpu_ratio - 1):+.1f}%",
        flush=True,
    )
    store.rebuild_figures()
    store.close()
    return {
        "events_kept": done[True],
        "events_without": done[False],
        "seconds_kept": spent[True],
        "seconds_without": spent[False],
        "cpu_seconds_kept": cpu[True],
        "cpu_seconds_without": cpu[False],
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="the store (a copy: part 2 writes)")
    parser.add_argument("--kept-reps", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--appends", type=int, default=0, help="events per side (0: skip)")
    parser.add_argument("--block", type=int, default=2000, help="events per interleaved block")
    parser.add_argument("--out", default=str(RESULTS), help="where the JSON goes")
    args = parser.parse_args()
    if not os.environ.get("CSTUI_NOW"):
        raise SystemExit("set CSTUI_NOW (the bench world: 2026-11-20T02:00:00+00:00)")
    result: dict[str, Any] = {"db": args.db, "now": os.environ["CSTUI_NOW"]}
    print(
        "| case | kept: wall | kept: CPU | kept: peak RSS | replay: wall | replay: CPU "
        "| replay: peak RSS | equal |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    if args.cases:
        result["read"] = read_side(args.db, args.kept_reps, args.cases.split(","))
    if args.appends:
        result["append"] = write_side(args.db, args.appends, args.block)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
