"""Start-up of several cstui code trees and the bare Textual app, interleaved.

On a shared machine two `console.py` runs minutes apart see different loads; this drives
`console.py`'s harness (same pty, same markers) over each tree and the bare app in
rotation, so their ratios to the bare app come from the same minutes.

    python bench/console_ab.py --db /tmp/m1.db --runs 12 OLD/src NEW/src
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import console as B

MARKS = ("first_byte", "layout", "status_bar", "first_row", "complete")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--as", dest="actor", default="agent01")
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("trees", nargs="+", help="PYTHONPATH of each tree (its src/)")
    args = parser.parse_args()
    cstui = str(Path(sys.executable).parent / "cstui")
    cmd = [cstui, "--db", args.db, "--as", args.actor]
    for tree in args.trees:
        B.compile_tree(Path(tree) / "cstui")
    kinds = [*args.trees, "bare"]
    marks: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    rss: dict[str, list[int]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        env0 = B.child_env(Path(tmp))
        for i in range(args.runs + 1):  # the first round warms caches and is not counted
            for kind in kinds[i % len(kinds) :] + kinds[: i % len(kinds)]:
                env = dict(env0)
                if kind == "bare":
                    app = B.PtyApp([sys.executable, str(B.BARE)], env, B.ROOT).start()
                else:
                    env["PYTHONPATH"] = kind
                    app = B.PtyApp(cmd, env, B.ROOT).start()
                try:
                    m = B.first_paint(app, "bare" if kind == "bare" else "console")
                    kb = app.status()["VmRSS"]
                finally:
                    app.kill()
                if i:
                    marks[kind].append(m)
                    rss[kind].append(kb)
                time.sleep(0.3)
    bare = statistics.median(m["rows"] for m in marks["bare"])
    print(f"bare app: rows at {bare * 1000:.0f} ms (median of {len(marks['bare'])})")
    print("| tree | " + " | ".join(MARKS) + " | RSS MB |")
    print("| --- |" + " ---: |" * (len(MARKS) + 1))
    for tree in args.trees:
        cells = []
        for name in MARKS:
            med = statistics.median(m[name] for m in marks[tree])
            cells.append(f"{med * 1000:.0f} ms ({med / bare:.2f}x)")
        mb = statistics.median(rss[tree]) / 1024
        print(f"| {tree} | " + " | ".join(cells) + f" | {mb:.1f} |")


if __name__ == "__main__":
    main()
