"""Ticket search latency on a million tickets, side by side with the raw SQL that finds the
same rows without the index, and a check that both find exactly the same tickets.

Why: a customer on the phone reads out an order number, the last four digits of a phone, or
says 退款 / refund; the agent must have the ticket in well under a second, whatever else the
store holds (target: p95 ≤ 50 ms for a page of 50). The baseline is what a store without a
search index does: B-tree lookups for identifiers, and a scan of every subject, name and
message (`instr`) for words.

For each query (`order`, `phone4`, `zh`, `en`, and two with filters and OR):

  search, first page   `store.search_tickets(q, limit=50)`                  p50 / p95
  search, deep page    the same with the cursor of the page at 90% of the hits   p50 / p95
  raw SQL, all hits    the SQL below, every matching ticket, on raw sqlite3  p50 (3 runs)
  check                every page of the search (limit 500) against the raw SQL's rows,
                       refined in Python to whole words as the index cuts them: the two
                       sets must be equal, and no ticket may come twice

    python bench/ticket_search.py --db /tmp/s1.db [--reps 200]

The store must exist (`cstui seed --tickets 1000000 --db /tmp/s1.db`, ~3 min).
Results: `bench/results/ticket_search.json`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cstui.search.segment import normalize
from cstui.store import open_store
from cstui.store.sql import SqlStore

LIMIT = 50
RESULTS = Path(__file__).parent / "results" / "ticket_search.json"


@dataclass
class Case:
    """A query, and how raw SQL finds the same tickets without the index."""

    name: str
    query: str
    needles: list[str]  # a ticket matches when its text holds one of these as whole words
    identifier_sql: list[str] = field(default_factory=list)  # B-tree lookups, exact
    filter_sql: str = ""  # conditions on `t` the query's filters add

    def word_regex(self) -> re.Pattern[str]:
        """A needle as a whole word, as the index cuts words: no letter before or after a
        run of letters, no digit beside a run of digits (CJK words have no boundary)."""
        parts = []
        for needle in self.needles:
            before = r"(?<![^\W\d_])" if needle[0].isascii() and needle[0].isalpha() else ""
            before = r"(?<!\d)" if needle[0].isdigit() else before
            after = r"(?![^\W\d_])" if needle[-1].isascii() and needle[-1].isalpha() else ""
            after = r"(?!\d)" if needle[-1].isdigit() else after
            parts.append(before + re.escape(needle).replace(r"\ ", r"[\W_]*") + after)
        return re.compile("|".join(parts))


# -- building the cases from the store ------------------------------------------------------


def cases(raw: sqlite3.Connection) -> list[Case]:
    number, phone = raw.execute(
        "SELECT o.number, c.phone FROM tickets t JOIN orders o ON o.id = t.order_id "
        "JOIN customers c ON c.id = t.customer_id WHERE t.id >= (SELECT max(id) * 77 / 100 "
        "FROM tickets) LIMIT 1"
    ).fetchone()
    last4 = phone[-4:]
    digits = re.sub(r"\D", "", number)
    letters = re.sub(r"\d", "", number).lower()
    return [
        Case(
            "order",
            number,
            [f"{letters} {digits}"],
            [
                f"SELECT t.id FROM tickets t JOIN orders o ON o.id = t.order_id "
                f"WHERE o.number = '{number}'"
            ],
        ),
        Case(
            "phone4",
            last4,
            [last4],
            [
                "SELECT t.id FROM tickets t JOIN customers c ON c.id = t.customer_id "
                f"WHERE c.phone LIKE '%{last4}'",
                f"SELECT id FROM tickets WHERE id = {int(last4)}",
            ],
        ),
        Case("zh", "退款", ["退款"]),
        Case("en", "refund", ["refund"]),
        Case(
            "zh+filters",
            "status:open tier:vip 退款",
            ["退款"],
            filter_sql="t.status = 'open' AND t.tier = 'vip'",
        ),
        Case("zh OR zh", "退款 OR 退货", ["退款", "退货"]),
    ]


# -- the raw side: every matching ticket without the index ----------------------------------


def raw_ids(raw: sqlite3.Connection, case: Case, refine: bool) -> set[int]:
    """Identifier lookups, then every subject, name and message holding a needle (`instr`);
    with `refine`, only those holding it as a whole word (the index's idea of a match)."""
    regex = case.word_regex()
    found: set[int] = set()
    for sql in case.identifier_sql:
        found.update(i for (i,) in raw.execute(sql))
    texts = [
        "SELECT t.id, t.subject FROM tickets t WHERE instr(lower(t.subject), ?)",
        "SELECT t.id, c.name FROM tickets t JOIN customers c ON c.id = t.customer_id "
        "WHERE instr(c.name, ?)",
        "SELECT m.ticket_id, m.body FROM messages m WHERE instr(lower(m.body), ?)",
    ]
    for needle in case.needles:
        probe = needle.split(" ")[-1]  # the longest plain run: instr finds every candidate
        for sql in texts:
            for tid, value in raw.execute(sql, (probe,)):
                if not refine or regex.search(normalize(value)):
                    found.add(tid)
    if case.filter_sql and found:
        id_list = ",".join(map(str, found))
        kept = f"SELECT t.id FROM tickets t WHERE t.id IN ({id_list}) AND {case.filter_sql}"
        found = {i for (i,) in raw.execute(kept)}
    return found


# -- the search side ------------------------------------------------------------------------


def every_page(store: SqlStore, query: str) -> tuple[list[int], str | None, float]:
    """Every hit, page by page (limit 500); the cursor at 90% of them; the seconds it took."""
    ids: list[int] = []
    cursors: list[tuple[int, str]] = []
    cursor: str | None = None
    started = time.perf_counter()
    while True:
        page = store.search_tickets(query, actor=None, limit=500, cursor=cursor)
        ids += [h.ticket.id for h in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
        cursors.append((len(ids), cursor))
    deep = next((c for n, c in cursors if n >= len(ids) * 0.9), None)
    return ids, deep, time.perf_counter() - started


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any], reps: int, warmup: int = 5) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    gc.collect()
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
    }


def run_case(store: SqlStore, raw: sqlite3.Connection, case: Case, reps: int) -> dict[str, Any]:
    ids, deep, all_seconds = every_page(store, case.query)
    expected = raw_ids(raw, case, refine=True)
    first = timed(lambda: store.search_tickets(case.query, actor=None, limit=LIMIT), reps)
    deep_page = (
        timed(lambda: store.search_tickets(case.query, actor=None, limit=LIMIT, cursor=deep), reps)
        if deep
        else None
    )
    raw_time = timed(lambda: raw_ids(raw, case, refine=False), 3, warmup=1)
    missing, extra = expected - set(ids), set(ids) - expected
    return {
        "query": case.query,
        "hits": len(ids),
        "search_first_page": first,
        "search_deep_page": deep_page,
        "search_every_page_s": round(all_seconds, 2),
        "raw_sql_all_hits": raw_time,
        "equal_to_raw": not missing and not extra and len(ids) == len(set(ids)),
        "missing": sorted(missing)[:10],
        "extra": sorted(extra)[:10],
    }


# -- report ---------------------------------------------------------------------------------


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| case | query | hits | search p50 / p95 (ms) | deep page p50 / p95 | raw SQL p50 (ms) | "
        "same rows |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        f, d = r["search_first_page"], r["search_deep_page"]
        deep = f"{d['p50_ms']} / {d['p95_ms']}" if d else "—"
        lines.append(
            f"| {name} | `{r['query']}` | {r['hits']:,} | {f['p50_ms']} / {f['p95_ms']} | {deep} "
            f"| {r['raw_sql_all_hits']['p50_ms']:,} | {'yes' if r['equal_to_raw'] else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    if not args.db.exists():
        print(f"{args.db}: no such store; cstui seed --tickets 1000000 --db {args.db}")
        return 2
    store = open_store(str(args.db))
    raw = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    tickets = raw.execute("SELECT count(*) FROM tickets").fetchone()[0]
    results = {}
    for case in cases(raw):
        print(f"  {case.name}: {case.query}", file=sys.stderr)
        results[case.name] = run_case(store, raw, case, args.reps)
    print(table(results))
    RESULTS.parent.mkdir(exist_ok=True)
    out = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tickets": tickets,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "limit": LIMIT,
        "reps": args.reps,
        "cases": results,
    }
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    return 0 if all(r["equal_to_raw"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
