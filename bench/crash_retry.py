"""Exactly once across crashes: `cstui serve` killed 50 times under write load.

Why: a reply that reaches the store twice is, once replies go out by mail, a second e-mail
to a customer. A client that gets no answer (the server died, a proxy dropped the
connection) must be able to send the same request again, at any later time, and have it
act once.

For each backend this script makes a team whose three agents own tickets, then sends
replies and escalations, each with its own Idempotency-Key, from one client per agent,
while the server is killed with SIGKILL: with probability `--crash-rate` right after a
request's transaction committed and before its answer left (the worst instant; a fault
hook in `tests/crash.py`), otherwise at a random instant 0.05–0.5 s after it came up.
Each restart's clock is two minutes later than the one before (past the 60 s after which
earlier versions took a half-done claim over and ran it again). Clients retry every
unanswered request with its key until it is answered. Then the store is counted: how many
times each reply and each escalation was stored (must be 1), and whether every answer
names the stored one.

With `--baseline-src DIR` (another checkout's `src`), the same run with the server from
that code comes first, side by side.

    python bench/crash_retry.py [--kills 50] [--backend sqlite,postgres] [--baseline-src DIR]

Run it from the repository's root (the servers run `python -m tests.crash`).

Results: `bench/results/crash_retry.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.crash, the harness the test suite uses too

from tests.crash import Server, Tally, Work, hammer, prepare  # noqa: E402

from cstui.store import init_store  # noqa: E402
from cstui.store.sql import SqlStore  # noqa: E402

PG_ADMIN = os.environ.get("CSTUI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BASE_NOW = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)


def fresh_target(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return str(workdir / "crash.db")
    from sqlalchemy import create_engine, text

    name = "cstui_bench_crash"
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def count(store: SqlStore, work: list[Work], tally: Tally) -> dict[str, int]:
    """How many requests acted other than once, and how many answers name another row."""
    stored: Counter[str] = Counter()
    ids: dict[str, int] = {}
    for ticket_id in {int(w.path.split("/")[2]) for w in work}:
        for m in store.messages(ticket_id):
            stored[m.body] += 1
            ids[m.body] = m.id
        for e in store.get_ticket(ticket_id, with_messages=False).escalations:
            stored[e.reason] += 1
            ids[e.reason] = e.id
    texts = {w.key: w.body.get("text") or w.body["reason"] for w in work}
    return {
        "requests": len(work),
        "duplicated": sum(stored[t] > 1 for t in texts.values()),
        "lost": sum(stored[t] == 0 for t in texts.values()),
        "unanswered": sum(k not in tally.answers for k in texts),
        "answer_names_another_row": sum(
            tally.answers[k]["id"] != ids.get(t) for k, t in texts.items() if k in tally.answers
        ),
    }


def run(backend: str, kills: int, crash_rate: float, src: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as workdir:
        target = fresh_target(backend, Path(workdir))
        store = init_store(target, clock=lambda: BASE_NOW)
        tokens, work = prepare(store, tickets_per_agent=20, replies_per_ticket=20)
        server = Server(target, base_now=BASE_NOW, crash_rate=crash_rate, src=src)
        started = time.monotonic()
        tally = hammer(tokens, work, server, kills=kills)
        result = {
            "code": src or "this checkout",
            "backend": backend,
            "kills": tally.kills,
            "kills_after_commit": tally.kills_after_commit,
            "kills_at_random": tally.kills_from_outside,
            "attempts": tally.attempts,
            "seconds": round(time.monotonic() - started, 1),
            **count(store, work, tally),
        }
        store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--backend", default="sqlite,postgres")
    parser.add_argument("--crash-rate", type=float, default=0.05)
    parser.add_argument("--baseline-src", help="another checkout's src, run first")
    args = parser.parse_args()
    results = []
    for backend in args.backend.split(","):
        for src in ([args.baseline_src] if args.baseline_src else []) + [None]:
            result = run(backend, args.kills, args.crash_rate, src)
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.append(result)
    out = ROOT / "bench" / "results" / "crash_retry.json"
    meta = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "host": platform.node()}
    out.write_text(json.dumps({**meta, "runs": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
