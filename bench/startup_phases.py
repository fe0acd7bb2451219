"""Where start-up goes, the console against the bare Textual app: each phase's end, in ms
from spawn, medians of alternated runs in `console.py`'s pseudo-terminal.

    python bench/startup_phases.py --db /tmp/m1.db --runs 12

Both apps run under `phase_probe.py`, which notes when the interpreter is up, when Textual
is imported, when `App.run` is called and when the first frame is written; the harness adds
its own markers (the frame seen on the terminal: `layout` and `complete` for the console,
`rows` for the bare app). "imports and settings" is `textual` to `run`: what the app does
before Textual starts (cstui: click, pydantic-settings and its settings, its own modules,
the first look); "first frame" is `run` to `frame`: compose, CSS, layout and rendering.
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

PROBE = Path(__file__).parent / "phase_probe.py"
PHASES = ("python", "textual", "run", "frame")


def one_run(kind: str, cmd: list[str], env: dict[str, str], out: Path) -> dict[str, float]:
    out.unlink(missing_ok=True)
    app = B.PtyApp([sys.executable, str(PROBE), *cmd], {**env, "PHASES_OUT": str(out)}, B.ROOT)
    app.start()
    try:
        seen = B.first_paint(app, kind)
        deadline = time.monotonic() + 10
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        marks = dict(line.split() for line in out.read_text().splitlines())
    finally:
        app.kill()
    phases = {name: (float(marks[name]) - app.t_spawn) for name in PHASES}
    return {**phases, **seen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--as", dest="actor", default="agent01")
    parser.add_argument("--runs", type=int, default=12)
    args = parser.parse_args()
    B.compile_tree(B.installed_package())
    console_cmd = ["cstui", "--db", args.db, "--as", args.actor]
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "console": []}
    with tempfile.TemporaryDirectory() as tmp:
        env = B.child_env(Path(tmp))
        out = Path(tmp) / "phases"
        for i in range(args.runs + 1):  # the first pair warms the caches: not counted
            order = ["bare", "console"] if i % 2 else ["console", "bare"]
            for kind in order:
                got = one_run(kind, ["bare"] if kind == "bare" else console_cmd, env, out)
                if i:
                    runs[kind].append(got)
                time.sleep(0.3)
    report(runs)


def report(runs: dict[str, list[dict[str, float]]]) -> None:
    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[kind]) * 1000

    seen = {"bare": "rows", "console": "complete"}
    print(f"{len(runs['bare'])} alternated runs each; ms from spawn (medians)\n")
    print("| app | interpreter | + Textual | imports and settings | first frame | on screen |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind in runs:
        p, t, r, f = (med(kind, k) for k in PHASES)
        print(
            f"| {kind} | {p:.0f} | {t:.0f} (+{t - p:.0f}) | {r:.0f} (+{r - t:.0f}) "
            f"| {f:.0f} (+{f - r:.0f}) | {med(kind, seen[kind]):.0f} |"
        )
    console_layout = med("console", "layout")
    print(
        f"\nconsole layout frame {console_layout:.0f} ms = "
        f"{console_layout / med('bare', 'rows'):.2f}x the bare app's rows"
    )


if __name__ == "__main__":
    main()
