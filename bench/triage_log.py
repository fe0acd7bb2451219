"""Triage's category accuracy as the log tells it: against what agents filed and corrected.

Usage: `python bench/triage_log.py --db PATH [--since 2026-11-01]` prints one JSON object
(`cstui.assist.accuracy.TriageAccuracy`): over every ticket whose creation logged triage,
and over those an agent re-filed (`cstui tickets category ID CATEGORY`).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from cstui.assist.accuracy import triage_accuracy
from cstui.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="a path or a database URL")
    ap.add_argument("--since", type=datetime.fromisoformat, default=None)
    args = ap.parse_args()
    since = args.since.replace(tzinfo=args.since.tzinfo or UTC) if args.since else None
    store = open_store(args.db)
    try:
        print(json.dumps(triage_accuracy(store.events(since=since)).to_json()))
    finally:
        store.close()


if __name__ == "__main__":
    main()
