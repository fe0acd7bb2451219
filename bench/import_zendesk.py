"""`cstui import --from zendesk` of a 10,000-ticket export: seconds, a second run's effect,
and the figures over the imported months.

Why: a team moving from Zendesk brings its history in one go; the target is ≤ 60 s for
10,000 tickets with their comments, authors and times on this 2-core machine, a second run
that changes nothing, and `cstui metrics` over the export's months counting every ticket.

The export is generated (seeded, reproducible; `tests/zendesk_export.py`): users (agents
and customers, a seventh of them without e-mail) and tickets in every Zendesk status with
1–5 comments (public replies, private notes, the customer's answers) and satisfaction
ratings.

    python bench/import_zendesk.py [--tickets 10000] [--db PATH] [--keep]

Each step is `cstui … --json` as a subprocess on a fresh SQLite store (`cstui init`).
Results: `bench/results/import_zendesk.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.zendesk_export import make_export  # noqa: E402

TARGET_S = 60.0


def cstui(db: Path, *args: str) -> tuple[float, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cstui", *args, "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cstui {' '.join(args)}: exit {done.returncode}: {done.stderr}")
    return took, json.loads(done.stdout) if done.stdout.strip() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the store and the export")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cstui-import-"))
    export, db = work / "export.json", args.db or work / "cstui.db"
    data = make_export(args.tickets, seed=0)
    export.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    comments = sum(len(t["comments"]) for t in data["tickets"])
    cstui(db, "init")
    first_s, first = cstui(db, "import", "--from", "zendesk", str(export))
    second_s, second = cstui(db, "import", "--from", "zendesk", str(export))
    days = sorted(t["created_at"][:10] for t in data["tickets"])
    _, figures = cstui(db, "metrics", "--since", days[0], "--until", "2026-01-01")
    counted = figures["team"]["tickets_created"]
    checks = {
        "within_target": first_s <= TARGET_S,
        "every_comment_imported": first["messages"] == comments,
        "second_run_adds_nothing": second["tickets"] == 0 and second["skipped"] == args.tickets,
        "metrics_count_them": counted == args.tickets,
    }
    result = {
        "tickets": args.tickets,
        "comments": comments,
        "export_mb": round(export.stat().st_size / 1e6, 1),
        "first_run_s": round(first_s, 2),
        "tickets_per_s": round(args.tickets / first_s),
        "second_run_s": round(second_s, 2),
        "imported": first,
        "second_run": second,
        "metrics_tickets_created": counted,
        "checks": checks,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print("| step | seconds | result |\n| --- | --- | --- |")
    print(f"| import {args.tickets} tickets ({comments} comments) | {first_s:.1f} | {first} |")
    print(f"| import again | {second_s:.1f} | {second} |")
    print(f"| metrics over the export's months | | tickets_created = {counted} |")
    print("checks: " + ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in checks.items()))
    out = ROOT / "bench" / "results" / "import_zendesk.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not args.keep:
        export.unlink()
        if args.db is None:
            db.unlink()
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
