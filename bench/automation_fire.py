"""Firing only: the first N due items of a seeded store, in the sweep's batches; firings a
second. Quicker than `automation_sweep.py` for comparing two versions of the firing path
(run each on its own copy of the same store, alternately).

    python bench/automation_fire.py URL_OR_PATH [N]
"""

from __future__ import annotations

import json
import sys
import time

from cstui.domain.automations import AutomationPolicy
from cstui.seed import DEFAULT_NOW
from cstui.store import open_store
from cstui.store.automations.sweep import batches, find_due, fire_batch


def main() -> None:
    url, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    store = open_store(url, clock=lambda: DEFAULT_NOW)
    policy = AutomationPolicy(enabled=True)
    started = time.perf_counter()
    due = store._reading(find_due, now=DEFAULT_NOW, policy=policy)
    find_s = time.perf_counter() - started
    subset = due.firings[:n]
    started = time.perf_counter()
    fired = sum(
        store._writing(fire_batch, b, now=DEFAULT_NOW, policy=policy) for b in batches(subset)
    )
    seconds = time.perf_counter() - started
    store.close()
    print(json.dumps({"found": len(due.firings), "find_s": round(find_s, 2),
                      "firings": len(subset), "fired": fired, "seconds": round(seconds, 2),
                      "per_second": round(fired / seconds)}))  # fmt: skip


if __name__ == "__main__":
    main()
