"""The agent console on a big store, driven from outside in a real pseudo-terminal.

Why: agents keep the console open all day and scroll a queue of a million tickets, often
over SSH. The issue names four figures, all measured here in one run, from outside the
process (what a terminal sees), never from inside Textual:

1. start-up: process start to the first complete frame, against a bare Textual app showing
   a 50-row DataTable (`bench/bare_datatable.py`), runs alternated; target ratio <= 1.3;
2. key press to screen update while scrolling the queue (`j`, and page-down which crosses
   keyset pages fetched in a worker): p50 <= 16 ms, max <= 50 ms;
3. resident memory (VmRSS) after settling and after scrolling: <= 80 MB;
4. `python -X importtime`: the heaviest imports of `cstui.cli` and `cstui.console.app`.

The terminal is a `pty` pair at 120x40, TERM=xterm-256color, made each program's
controlling terminal (`setsid -c`). The harness keeps a small screen model (cursor moves,
text, erases, each cell's background) so that it can tell when a frame holds what it waits
for. It answers Textual's one query, synchronized output (`CSI ? 2026 $ p`), as a modern
terminal does, so that every frame arrives between `CSI ? 2026 h` and `CSI ? 2026 l` and
"the frame is complete" has an exact byte. Keys are measured in a closed loop (a key, its
update, the next key) and held (a key every 60 ms whatever the screen does).

    .venv/bin/python bench/console.py --db /tmp/m1.db [--as agent01] [--runs 15] [--keys 300]

The store must be at the schema of the code that runs the console (`cstui init --db PATH`
migrates it). What each number means, and the latest ones: `bench/CONSOLE.md`.
Results: `bench/results/console.json`.
"""

from __future__ import annotations

import argparse
import codecs
import compileall
import contextlib
import fcntl
import importlib.util
import json
import os
import platform
import pty
import re
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.cells import get_character_cell_size

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results" / "console.json"
BARE = BENCH / "bare_datatable.py"
BARE_FIRST_ROW = "#100001"

COLS, ROWS = 120, 40
KEY_DOWN = b"j"
KEY_PAGE_DOWN = b"\x1b[6~"

# What the screen shows when a frame is the one we wait for.
STATUS_RE = re.compile(r"^\s?cstui │")  # the status bar, line 1
QUEUE_ROW_RE = re.compile(r"^│[ ●][ ★]#(\d+) ")  # a queue row: border, marks, "#id "
POSITION_RE = re.compile(r"(\d[\d,]*) of (\d[\d,]*)")  # the queue's "1,234 of 248,141"
LOADING = "loading…"

TARGETS = {
    "start_ratio": 1.3,
    "key_p50_ms": 16.0,
    "key_max_ms": 50.0,
    "rss_mb": 80.0,
}


# -- a terminal, as much of one as Textual needs ------------------------------------------------

TOKEN_RE = re.compile(
    r"\x1b\[([0-9;?<>=!]*)([ -/]*)([@-~])"  # CSI: groups 1-3
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC, ignored
    r"|\x1b[()*+][0-9A-Za-z]|\x1b[^\[\]()*+]"  # charsets and two-byte escapes, ignored
    r"|([^\x00-\x1f\x7f]+)"  # text: group 4
    r"|(\r)|(\n)|(\x08)"  # groups 5-7
    r"|[\x00-\x1f\x7f]"  # other controls, ignored
)
INCOMPLETE_RE = re.compile(r"\x1b(?:\[[0-9;?<>=!]*[ -/]*|\][^\x07\x1b]*(?:\x1b)?|[()*+])?\Z")


class Screen:
    """A grid of cells fed with the program's output: positions and text, no colours.

    `on_frame_end` is called when a synchronized update ends (`CSI ? 2026 l`);
    `on_query` when the program asks something the harness answers.
    """

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.bg = [[""] * cols for _ in range(rows)]  # each cell's effective background
        self.x = self.y = 0
        self._fg, self._bg, self._reverse = "", "", False
        self._sgr_cache: dict[tuple[str, str, str, bool], tuple[str, str, bool]] = {}
        self.in_sync = False
        self.alt_screen = False
        self.sync_seen = False
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._tail = ""
        self.on_frame_end: Callable[[], None] = lambda: None
        self.on_query: Callable[[str], None] = lambda q: None
        self.on_alt_screen: Callable[[], None] = lambda: None

    def line(self, y: int) -> str:
        return "".join(c for c in self.grid[y] if c)

    def text(self) -> str:
        return "\n".join(self.line(y).rstrip() for y in range(self.rows))

    def feed(self, data: bytes) -> None:
        text = self._tail + self._decoder.decode(data)
        tail = INCOMPLETE_RE.search(text, max(len(text) - 512, 0))
        if tail is not None:  # an escape split across reads: keep it for the next one
            self._tail, text = text[tail.start() :], text[: tail.start()]
        else:
            self._tail = ""
        for m in TOKEN_RE.finditer(text):
            last = m.lastindex
            if last is None:
                continue
            if last == 4:
                self._put(m.group(4))
            elif last == 3:
                self._csi(m.group(1), m.group(2), m.group(3))
            elif last == 5:
                self.x = 0
            elif last == 6:
                self.y = min(self.y + 1, self.rows - 1)
            elif last == 7:
                self.x = max(self.x - 1, 0)

    def _put(self, s: str) -> None:
        row, bgs = self.grid[self.y], self.bg[self.y]
        bg = (self._fg or "default-fg") if self._reverse else self._bg
        x = self.x
        if s.isascii():  # one cell per character: slice assignment
            n = min(len(s), self.cols - x)
            if n > 0:
                row[x : x + n] = list(s[:n])
                bgs[x : x + n] = [bg] * n
            self.x = min(x + len(s), self.cols)
            return
        for ch in s:
            width = 1 if ch < "\u0300" else get_character_cell_size(ch)
            if width == 0:
                continue
            if x + width > self.cols:
                x = self.cols  # autowrap is off in Textual: clip
                continue
            row[x] = ch
            bgs[x] = bg
            if width == 2:
                row[x + 1] = ""  # the right half of a wide character
                bgs[x + 1] = bg
            x += width
        self.x = x

    def _csi(self, params: str, inter: str, final: str) -> None:
        if final == "m":  # colours: the same few sequences over and over, so memoised
            key = (params, self._fg, self._bg, self._reverse)
            state = self._sgr_cache.get(key)
            if state is None:
                self._sgr([int(p) if p.isdigit() else 0 for p in params.split(";")])
                state = self._sgr_cache[key] = (self._fg, self._bg, self._reverse)
            self._fg, self._bg, self._reverse = state
            return
        if final == "H" and not inter:
            row, _, col = params.partition(";")
            self.y = min(max(int(row or 1) - 1, 0), self.rows - 1)
            self.x = min(max(int(col or 1) - 1, 0), self.cols - 1)
            return
        if params.startswith("?"):
            modes = params[1:].split(";")
            if inter == "$" and final == "p":
                self.on_query(params)
            elif final in "hl":
                if "2026" in modes:
                    if final == "h":
                        self.in_sync, self.sync_seen = True, True
                    else:
                        self.in_sync = False
                        self.on_frame_end()
                if "1049" in modes and final == "h":
                    self.alt_screen = True
                    self._erase_all()
                    self.on_alt_screen()
            return
        if params[:1] in "<>=!" and params:
            return
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []

        def arg(i: int, default: int = 1) -> int:
            return nums[i] if len(nums) > i and nums[i] else default

        if final in "Hf":
            self.y = min(max(arg(0) - 1, 0), self.rows - 1)
            self.x = min(max(arg(1) - 1, 0), self.cols - 1)
        elif final == "A":
            self.y = max(self.y - arg(0), 0)
        elif final == "B":
            self.y = min(self.y + arg(0), self.rows - 1)
        elif final == "C":
            self.x = min(self.x + arg(0), self.cols - 1)
        elif final == "D":
            self.x = max(self.x - arg(0), 0)
        elif final == "G":
            self.x = min(max(arg(0) - 1, 0), self.cols - 1)
        elif final == "d":
            self.y = min(max(arg(0) - 1, 0), self.rows - 1)
        elif final == "J":
            if (nums[0] if nums else 0) in (2, 3):
                self._erase_all()
        elif final == "K":
            mode = nums[0] if nums else 0
            cells = self.grid[self.y]
            span = range(self.x, self.cols) if mode == 0 else range(0, self.cols)
            if mode == 1:
                span = range(0, self.x + 1)
            for i in span:
                cells[i] = " "

    def _sgr(self, nums: list[int]) -> None:
        i = 0
        while i < len(nums):
            n = nums[i]
            if n == 0:
                self._fg, self._bg, self._reverse = "", "", False
            elif n == 7:
                self._reverse = True
            elif n == 27:
                self._reverse = False
            elif n in (38, 48) and i + 1 < len(nums):
                if nums[i + 1] == 5 and i + 2 < len(nums):
                    value, i = f"5;{nums[i + 2]}", i + 2
                elif nums[i + 1] == 2 and i + 4 < len(nums):
                    value, i = "2;" + ";".join(map(str, nums[i + 2 : i + 5])), i + 4
                else:
                    value = ""
                if n == 38:
                    self._fg = value
                else:
                    self._bg = value
            elif n == 39:
                self._fg = ""
            elif n == 49:
                self._bg = ""
            elif 30 <= n <= 37 or 90 <= n <= 97:
                self._fg = str(n)
            elif 40 <= n <= 47 or 100 <= n <= 107:
                self._bg = str(n)
            i += 1

    def _erase_all(self) -> None:
        self.grid = [[" "] * self.cols for _ in range(self.rows)]
        self.bg = [[""] * self.cols for _ in range(self.rows)]


# -- a process in a pseudo-terminal ---------------------------------------------------------------


def compile_tree(package: Path) -> None:
    """Byte-compile the code under test as an install does (pip writes the .pyc files).
    Where PYTHONDONTWRITEBYTECODE is set (it is on some machines), a source tree would
    otherwise compile all of cstui's modules at every start, while the bare app's modules,
    all installed, would not (95 ms of a profiled start, which no installed copy pays)."""
    compileall.compile_dir(str(package), quiet=1)


def installed_package() -> Path:
    """The cstui package the `cstui` command of this interpreter runs (found, not imported:
    the console is measured in its own processes)."""
    spec = importlib.util.find_spec("cstui")
    assert spec is not None and spec.submodule_search_locations, "cstui is not installed"
    return Path(spec.submodule_search_locations[0])


def child_env(data_dir: Path) -> dict[str, str]:
    """The environment both apps get: a 256-colour xterm, English, no user settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEXTUAL", "CSTUI_")) and k not in ("COLUMNS", "LINES", "NO_COLOR")
    }
    env.update(
        TERM="xterm-256color",
        CSTUI_LANG="en",
        CSTUI_DATA_DIR=str(data_dir / "data"),
        CSTUI_CONFIG_DIR=str(data_dir / "config"),
    )
    env.pop("COLORTERM", None)
    return env


@dataclass
class Chunk:
    t: float
    n: int


@dataclass
class PtyApp:
    """One run of a program in a fresh pty; every read is timestamped."""

    cmd: list[str]
    env: dict[str, str]
    cwd: Path
    cols: int = COLS
    rows: int = ROWS
    answer_sync: bool = True
    screen: Screen = field(init=False)
    proc: subprocess.Popen[bytes] = field(init=False)
    fd: int = field(init=False)
    t_spawn: float = field(init=False)
    t_alt: float | None = field(init=False, default=None)
    last_read: float = field(init=False, default=0.0)
    bytes_read: int = field(init=False, default=0)
    frame_hooks: list[Callable[[float], None]] = field(init=False, default_factory=list)
    _now: float = field(init=False, default=0.0)

    def start(self) -> PtyApp:
        self.screen = Screen(self.cols, self.rows)
        self.screen.on_frame_end = self._frame_end
        self.screen.on_query = self._query
        self.screen.on_alt_screen = lambda: setattr(self, "t_alt", self._now)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))
        # Its own session with the pty as its controlling terminal, as a login shell's child
        # would have (so that a hang-up reaches it): `setsid -c` does that and then execs the
        # program in the same process (about 1 ms). Without it, only a new session.
        setsid = shutil.which("setsid")
        cmd = [setsid, "-c", *self.cmd] if setsid else self.cmd
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=self.cwd,
            env=self.env,
            start_new_session=setsid is None,
            close_fds=True,
        )
        os.close(slave)
        self.fd = master
        return self

    def _frame_end(self) -> None:
        for hook in self.frame_hooks:
            hook(self._now)

    def _query(self, params: str) -> None:
        if params == "?2026" and self.answer_sync:
            os.write(self.fd, b"\x1b[?2026;2$y")  # supported, currently reset

    def pump(self, timeout: float) -> list[Chunk]:
        """Read what is there (waiting up to `timeout` for the first byte)."""
        chunks: list[Chunk] = []
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0) if not chunks else 0)
            if not ready:
                return chunks
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:  # the child has gone and the pty is closed
                return chunks
            if not data:
                return chunks
            self._now = now = time.perf_counter()
            self.last_read = now
            self.bytes_read += len(data)
            chunks.append(Chunk(now, len(data)))
            self.screen.feed(data)
            if not self.screen.sync_seen:
                self._frame_end()  # unsynchronized output: every read may end a frame

    def alive(self) -> bool:
        return self.proc.poll() is None

    def write(self, data: bytes) -> float:
        t = time.perf_counter()
        os.write(self.fd, data)
        return t

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # our own session, nothing else
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        try:
            while self.pump(0.0):
                pass
        finally:
            os.close(self.fd)

    # -- what /proc says about it --

    def status(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    out[key] = int(value.split()[0])
        return out

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- what the console's screen shows ------------------------------------------------------------


def status_shown(screen: Screen) -> bool:
    return bool(STATUS_RE.match(screen.line(0)))


def queue_rows(screen: Screen) -> list[int]:
    return [
        int(m.group(1)) for y in range(screen.rows) if (m := QUEUE_ROW_RE.match(screen.line(y)))
    ]


def cursor_ticket(screen: Screen) -> int | None:
    """The queue row drawn with the cursor's background: the one unlike the others.

    None when no row stands out (the cursor is not highlighted on screen).
    """
    edge = max(queue_right_edge(screen) - 3, 4)  # the row's cells, not the scrollbar
    rows = []
    for y in range(screen.rows):
        m = QUEUE_ROW_RE.match(screen.line(y))
        if m:
            cells = screen.bg[y][1:edge]
            dominant = max(set(cells), key=cells.count)
            rows.append((dominant, int(m.group(1))))
    if len(rows) < 3:
        return None
    counts: dict[str, int] = {}
    for bg, _ in rows:
        counts[bg] = counts.get(bg, 0) + 1
    odd = [tid for bg, tid in rows if counts[bg] == 1]
    return odd[0] if len(odd) == 1 else None


def queue_right_edge(screen: Screen) -> int:
    """The queue pane's last column (its top border's corner on line 2)."""
    top = screen.line(1)
    return top.find("╮") + 1 if "╮" in top else screen.cols // 3


def position(screen: Screen) -> tuple[int, int] | None:
    edge = queue_right_edge(screen)
    for y in range(screen.rows - 1, 0, -1):
        m = POSITION_RE.search(screen.line(y)[:edge])
        if m:
            return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
    return None


def loading_lines(screen: Screen) -> int:
    edge = queue_right_edge(screen)
    return sum(LOADING in screen.line(y)[:edge] for y in range(screen.rows))


def layout_shown(screen: Screen) -> bool:
    return "Queue" in screen.line(1)


def bare_shown(screen: Screen) -> bool:
    return any(BARE_FIRST_ROW in screen.line(y) for y in range(screen.rows))


# -- 1. start-up ----------------------------------------------------------------------------------


class RunFailed(RuntimeError):
    pass


def first_paint(app: PtyApp, kind: str, timeout: float = 60.0) -> dict[str, float]:
    """Seconds from spawn to each marker; the run stops at the first complete frame."""
    marks: dict[str, float] = {}

    def check(now: float) -> None:
        s = app.screen
        if kind == "bare":
            if bare_shown(s):
                marks.setdefault("rows", now)
            return
        if layout_shown(s):
            marks.setdefault("layout", now)
        if status_shown(s):
            marks.setdefault("status_bar", now)
        if queue_rows(s):
            marks.setdefault("first_row", now)
        if "status_bar" in marks and "first_row" in marks:
            marks.setdefault("complete", now)

    app.frame_hooks.append(check)
    goal = "rows" if kind == "bare" else "complete"
    deadline = time.perf_counter() + timeout
    first_byte = None
    while goal not in marks:
        chunks = app.pump(0.05)
        if chunks and first_byte is None:
            first_byte = chunks[0].t
        if not app.alive() and not chunks:
            raise RunFailed(f"{kind} exited ({app.proc.returncode}):\n{app.screen.text()[-2000:]}")
        if time.perf_counter() > deadline:
            raise RunFailed(f"{kind}: no complete frame in {timeout:.0f} s:\n{app.screen.text()}")
    app.frame_hooks.remove(check)
    out = {name: t - app.t_spawn for name, t in marks.items()}
    if first_byte is not None:
        out["first_byte"] = first_byte - app.t_spawn
    if app.t_alt is not None:
        out["alt_screen"] = app.t_alt - app.t_spawn
    out["sync_frames"] = float(app.screen.sync_seen)
    return out


def startup(
    args: argparse.Namespace, env: dict[str, str], console_cmd: list[str]
) -> dict[str, Any]:
    bare_cmd = [sys.executable, str(BARE)]
    samples: dict[str, list[dict[str, float]]] = {"console": [], "bare": []}
    rss: dict[str, list[int]] = {"console": [], "bare": []}
    order = ["console", "bare"]
    total = args.runs + args.warmup
    for i in range(total):
        pair = order if i % 2 == 0 else order[::-1]  # alternate who goes first
        for kind in pair:
            app = PtyApp(
                console_cmd if kind == "console" else bare_cmd, env, ROOT, answer_sync=args.sync
            ).start()
            try:
                marks = first_paint(app, kind)
                rss_kb = app.status()["VmRSS"]
            finally:
                app.kill()
            if i >= args.warmup:
                samples[kind].append(marks)
                rss[kind].append(rss_kb)
            tag = "warm-up" if i < args.warmup else f"run {i - args.warmup + 1}/{args.runs}"
            goal = marks.get("complete", marks.get("rows", 0))
            print(f"  start-up {tag}: {kind} {goal * 1000:.0f} ms", file=sys.stderr)
            time.sleep(args.pause)
    med = {
        kind: {
            name: round(statistics.median(s[name] for s in runs) * 1000, 1)
            for name in runs[0]
            if name != "sync_frames" and all(name in s for s in runs)
        }
        for kind, runs in samples.items()
    }
    bare = med["bare"]["rows"]
    c = med["console"]
    return {
        "runs": args.runs,
        "warmup_runs_discarded": args.warmup,
        "median_ms": med,
        "ratios_to_bare": {
            "complete (status bar + first queue row)": round(c["complete"] / bare, 2),
            "first_row": round(c["first_row"] / bare, 2),
            "status_bar": round(c["status_bar"] / bare, 2),
            "layout (first frame with the panes)": round(c["layout"] / bare, 2),
            "alt_screen (Textual's driver started)": round(
                c["alt_screen"] / med["bare"]["alt_screen"], 2
            ),
        },
        "samples_ms": {
            kind: [
                {k: round(v * 1000, 1) for k, v in s.items() if k != "sync_frames"} for s in runs
            ]
            for kind, runs in samples.items()
        },
        "synchronized_output": all(s["sync_frames"] for r in samples.values() for s in r),
        "rss_at_first_paint_mb": {
            kind: round(statistics.median(v) / 1024, 1) for kind, v in rss.items()
        },
    }


# -- 2. keys --------------------------------------------------------------------------------------


@dataclass
class KeyTiming:
    first_byte_ms: float | None
    frame_ms: float | None  # end of the first complete frame after the key
    visible_ms: float | None  # first frame that changes what the screen shows (text or colour)
    cursor_ms: float | None  # first frame whose highlighted queue row differs from before
    moved_ms: float | None  # first frame whose "N of M" differs from before the key
    waited_ms: float  # how long before the key the screen had been quiet (or the cap)
    at_s: float  # when the key was written, seconds from the start of its run
    pos_after: int | None
    loading_rows: int


def settle(app: PtyApp, seconds: float, quiet: float = 0.3, cap: float = 30.0) -> dict[str, Any]:
    """Wait `seconds`, then for the counts to be on screen and the output to go quiet."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.pump(0.05)
    while time.perf_counter() - t0 < cap:
        app.pump(0.02)
        if position(app.screen) and time.perf_counter() - app.last_read >= quiet:
            break
    return {"settled_after_s": round(time.perf_counter() - t0, 2)}


def quiet_gap(app: PtyApp, since: float, interval: float, quiet: float, cap: float) -> float:
    """Wait until `interval` has passed since the last key and nothing came for `quiet` s."""
    while True:
        now = time.perf_counter()
        if now - since >= interval and now - app.last_read >= quiet:
            return now - app.last_read
        if now - since >= cap:
            return now - app.last_read
        app.pump(min(0.005, max(since + interval - now, 0.001)))


class KeyWatch:
    """What the frames after one key show, and when (a frame hook)."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.position = position(screen)
        self.cursor = cursor_ticket(screen)
        self.grid = [row[:] for row in screen.grid]
        self.bg = [row[:] for row in screen.bg]
        self.frame: float | None = None
        self.visible: float | None = None
        self.cursor_moved: float | None = None
        self.moved: float | None = None

    def __call__(self, now: float) -> None:
        s = self.screen
        if self.frame is None:
            self.frame = now
        if self.visible is None and (s.grid != self.grid or s.bg != self.bg):
            self.visible = now
        if self.cursor_moved is None and self.cursor is not None:
            current = cursor_ticket(s)
            if current is not None and current != self.cursor:
                self.cursor_moved = now
        if self.moved is None and position(s) != self.position:
            self.moved = now

    @property
    def done(self) -> bool:
        return self.moved is not None and (self.cursor_moved is not None or self.cursor is None)


def press(app: PtyApp, key: bytes, count: int, interval: float, quiet: float) -> list[KeyTiming]:
    """Closed loop: a key, then wait for its update (and >= `interval`, and quiet output)."""
    out: list[KeyTiming] = []
    last = started = time.perf_counter()

    def ms(t: float | None, t_w: float) -> float | None:
        return None if t is None else (t - t_w) * 1000

    for _ in range(count):
        waited = quiet_gap(app, last, interval, quiet, cap=interval + 1.0)
        watch = KeyWatch(app.screen)
        app.frame_hooks.append(watch)
        t_w = last = app.write(key)
        first: float | None = None
        while time.perf_counter() < t_w + 2.0 and not watch.done:
            chunks = app.pump(0.01)
            if chunks and first is None:
                first = chunks[0].t
        app.frame_hooks.remove(watch)
        pos = position(app.screen)
        out.append(
            KeyTiming(
                first_byte_ms=ms(first, t_w),
                frame_ms=ms(watch.frame, t_w),
                visible_ms=ms(watch.visible, t_w),
                cursor_ms=ms(watch.cursor_moved, t_w),
                moved_ms=ms(watch.moved, t_w),
                waited_ms=waited * 1000,
                at_s=t_w - started,
                pos_after=pos[0] if pos else None,
                loading_rows=loading_lines(app.screen),
            )
        )
    return out


def hold(app: PtyApp, key: bytes, count: int, interval: float, step: int) -> dict[str, Any]:
    """A key held down: `count` presses on a fixed clock, whatever the screen does.

    Key i is done when the queue's position reaches where i presses lead (start + (i+1) x
    step): its latency is from its write to the first frame showing that position, so a
    console falling behind shows as growing latencies, not as quick bytes from older keys.
    """
    pos = position(app.screen)
    if pos is None:
        return {"error": "no position on screen"}
    start = pos[0]
    writes: list[float] = []
    reached: dict[int, float] = {}

    def on_frame(now: float) -> None:
        shown = position(app.screen)
        if shown is None:
            return
        i = len(reached)
        while i < len(writes) and start + (i + 1) * step <= shown[0]:
            reached[i] = now
            i += 1

    app.frame_hooks.append(on_frame)
    t_next = time.perf_counter()
    for _ in range(count):
        while (left := t_next - time.perf_counter()) > 0:
            app.pump(min(left, 0.005))
        writes.append(app.write(key))
        t_next += interval
    last = writes[-1]
    while len(reached) < count and time.perf_counter() - last < 5.0:
        app.pump(0.01)
    app.frame_hooks.remove(on_frame)
    end = position(app.screen)
    lat = [(reached[i] - t) * 1000 if i in reached else None for i, t in enumerate(writes)]
    return {
        "presses": count,
        "interval_ms": round(interval * 1000),
        "step_rows": step,
        "position_start": start,
        "position_end": end[0] if end else None,
        "position_expected": start + count * step,
        "to_expected_position": summary(lat),
        "caught_up_after_last_key_ms": (
            round((reached[count - 1] - last) * 1000, 1) if count - 1 in reached else None
        ),
        "loading_rows_at_end": loading_lines(app.screen),
    }


def typical_step(timings: list[KeyTiming], start: int | None) -> int:
    """How many rows one key moves the cursor (the most common move in a closed-loop run)."""
    moves: dict[int, int] = {}
    prev = start
    for k in timings:
        if k.pos_after is not None and prev is not None and k.pos_after > prev:
            moves[k.pos_after - prev] = moves.get(k.pos_after - prev, 0) + 1
        prev = k.pos_after
    return max(moves, key=lambda m: moves[m]) if moves else 1


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float | None]) -> dict[str, Any]:
    got = [v for v in values if v is not None]
    if not got:
        return {"n": 0, "missing": len(values)}
    return {
        "n": len(got),
        "missing": len(values) - len(got),
        "p50_ms": round(percentile(got, 50), 2),
        "p95_ms": round(percentile(got, 95), 2),
        "max_ms": round(max(got), 2),
        "mean_ms": round(statistics.fmean(got), 2),
    }


def key_summary(timings: list[KeyTiming]) -> dict[str, Any]:
    return {
        "first_bytes": summary([k.first_byte_ms for k in timings]),
        "first_frame_complete": summary([k.frame_ms for k in timings]),
        "first_visible_change": summary([k.visible_ms for k in timings]),
        "cursor_row_moved": summary([k.cursor_ms for k in timings]),
        "position_shown": summary([k.moved_ms for k in timings]),
        "quiet_before_key_ms_p50": round(percentile([k.waited_ms for k in timings], 50), 1),
        "keys_seeing_loading_rows": sum(k.loading_rows > 0 for k in timings),
        "position_after": timings[-1].pos_after if timings else None,
    }


def slowest(timings: list[KeyTiming], n: int = 5) -> list[dict[str, Any]]:
    def cost(item: tuple[int, KeyTiming]) -> float:
        ms = item[1].first_byte_ms
        return -(1e9 if ms is None else ms)

    ranked = sorted(enumerate(timings), key=cost)
    return [
        {
            "key_index": i,
            "first_byte_ms": None if k.first_byte_ms is None else round(k.first_byte_ms, 2),
            "first_visible_change_ms": None if k.visible_ms is None else round(k.visible_ms, 2),
            "cursor_row_moved_ms": None if k.cursor_ms is None else round(k.cursor_ms, 2),
            "position_shown_ms": None if k.moved_ms is None else round(k.moved_ms, 2),
            "position_after": k.pos_after,
            "at_s": round(k.at_s, 3),
        }
        for i, k in ranked[:n]
    ]


# -- rows on screen against the store -------------------------------------------------------------


def expected_ids(db: str, actor: str, upto: int) -> list[int] | str:
    """The unassigned queue's first `upto` ids, paged through the store as the console does."""
    try:
        from cstui.store import View, open_store

        store = open_store(db)
        ids: list[int] = []
        cursor = None
        try:
            while len(ids) < upto:
                page = store.list_tickets(View.UNASSIGNED, actor=actor, limit=100, cursor=cursor)
                ids.extend(t.id for t in page.items)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        finally:
            store.close()
        return ids
    except Exception as exc:  # the check is a bonus: never lose the timings to it
        return f"not checked: {type(exc).__name__}: {exc}"


def check_rows(screen: Screen, db: str, actor: str) -> dict[str, Any]:
    shown = queue_rows(screen)
    pos = position(screen)
    if not shown or pos is None:
        return {"ok": False, "why": "no rows or no position on screen", "screen": screen.text()}
    want = expected_ids(db, actor, pos[0] + len(shown) + 100)
    if isinstance(want, str):
        return {"ok": None, "why": want}
    try:
        start = want.index(shown[0])
    except ValueError:
        return {"ok": False, "why": f"#{shown[0]} is not in the queue's first {len(want)} rows"}
    ok = want[start : start + len(shown)] == shown and start <= pos[0] - 1 < start + len(shown)
    return {
        "ok": ok,
        "position": pos[0],
        "first_visible_row": start + 1,
        "visible_ids": shown,
        "expected_ids": want[start : start + len(shown)],
        "placeholder_rows": loading_lines(screen),
    }


# -- load on the box --------------------------------------------------------------------------


class LoadSampler(threading.Thread):
    """procs_running from /proc/stat every half second (what vmstat's `r` column shows)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[int] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.5):
            with open("/proc/stat") as f:
                for line in f:
                    if line.startswith("procs_running"):
                        self.samples.append(int(line.split()[1]) - 1)  # not the sampler itself

    def stop(self) -> dict[str, Any]:
        self._stop_event.set()
        self.join()
        s = self.samples or [0]
        return {
            "runnable_mean": round(statistics.fmean(s), 2),
            "runnable_max": max(s),
            "loadavg_end": os.getloadavg(),
        }


# -- 4. import time -------------------------------------------------------------------------------

IMPORT_RE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def importtime(module: str, repeats: int) -> dict[str, Any]:
    """Median self and cumulative microseconds per module over `repeats` fresh interpreters."""
    per: dict[str, dict[str, list[int]]] = {}
    depth: dict[str, int] = {}
    walls: list[float] = []
    totals: list[int] = []
    rss: list[int] = []
    code = f"import {module}; print(open('/proc/self/status').read())"
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        walls.append(time.perf_counter() - t0)
        rss.extend(
            int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("VmRSS:")
        )
        total = 0
        for line in proc.stderr.splitlines():
            m = IMPORT_RE.match(line)
            if m:
                own, cum, indent, name = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
                entry = per.setdefault(name, {"self": [], "cum": []})
                entry["self"].append(own)
                entry["cum"].append(cum)
                depth[name] = len(indent) // 2
                if not indent:
                    total += cum
        totals.append(total)
    rows: list[dict[str, Any]] = [
        {
            "module": name,
            "depth": depth[name],
            "cumulative_ms": round(statistics.median(v["cum"]) / 1000, 1),
            "self_ms": round(statistics.median(v["self"]) / 1000, 1),
        }
        for name, v in per.items()
    ]
    by_cum = sorted(rows, key=lambda r: -r["cumulative_ms"])
    asked = [m.strip() for m in module.split(",")]

    def own_chain(name: str) -> bool:  # the module asked for, or a package it is in
        return any(m == name or m.startswith(name + ".") for m in asked)

    return {
        "module": module,
        "repeats": repeats,
        "process_wall_ms_median": round(statistics.median(walls) * 1000, 1),
        "total_ms": round(statistics.median(totals) / 1000, 1),
        "rss_after_import_mb": round(statistics.median(rss) / 1024, 1) if rss else None,
        "modules": len(rows),
        "top_cumulative": by_cum[:10],
        "top_cumulative_excluding_own_package_chain": [
            r for r in by_cum if not own_chain(r["module"])
        ][:10],
        "top_self": sorted(rows, key=lambda r: -r["self_ms"])[:10],
    }


IMPORT_SETS = (
    "sys",
    "textual.app, textual.widgets",
    "pydantic",
    "sqlalchemy",
    "alembic",
    "cstui.config",
    "cstui.store",
    "cstui.cli",
    "cstui.console.app",
    "cstui.cli, cstui.console.app",
)


def rss_by_import(repeats: int = 3) -> dict[str, float]:
    """VmRSS (MB, median) of a fresh interpreter after importing each set: what code costs."""
    out = {}
    for modules in IMPORT_SETS:
        values = []
        for _ in range(repeats):
            proc = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import {modules}; print(open('/proc/self/status').read())",
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            values += [
                int(line.split()[1])
                for line in proc.stdout.splitlines()
                if line.startswith("VmRSS:")
            ]
        if values:
            out[modules] = round(statistics.median(values) / 1024, 1)
    return out


# -- the run --------------------------------------------------------------------------------------


def store_revision(db: str) -> str | None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def store_facts(db: str) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tickets = conn.execute("SELECT max(id) FROM tickets").fetchone()[0]
    finally:
        conn.close()
    return {
        "path": db,
        "mb": round(Path(db).stat().st_size / 1e6),
        "max_ticket_id": tickets,
        "schema": store_revision(db),
    }


def check_schema(db: str) -> None:
    try:
        from cstui.store.migrations import HEAD_REVISION
    except Exception:  # the console will say it itself
        return
    have = store_revision(db)
    if have != HEAD_REVISION:
        raise SystemExit(
            f"{db} has schema {have}, the console's code wants {HEAD_REVISION}: "
            f"run `.venv/bin/cstui init --db {db}` first (it migrates in place)"
        )


def keys_and_memory(
    args: argparse.Namespace, env: dict[str, str], console_cmd: list[str]
) -> dict[str, Any]:
    app = PtyApp(console_cmd, env, ROOT, answer_sync=args.sync).start()
    try:
        paint = first_paint(app, "console")
        settled = settle(app, args.settle)
        cpu0, t0 = app.cpu_seconds(), time.perf_counter()
        settle(app, args.idle)  # the console left alone: its background refreshes only
        idle_cpu = (app.cpu_seconds() - cpu0) / (time.perf_counter() - t0)
        rss_settled = app.status()
        rows_at_start = check_rows(app.screen, args.db, args.actor)
        print(f"  keys: settled, RSS {rss_settled['VmRSS'] / 1024:.1f} MB", file=sys.stderr)
        interval, quiet = args.interval / 1000, args.quiet / 1000
        cpu1, t1 = app.cpu_seconds(), time.perf_counter()
        start = position(app.screen)
        down = press(app, KEY_DOWN, args.keys, interval, quiet)
        print(f"  keys: {args.keys} × j done (closed loop)", file=sys.stderr)
        page_start = position(app.screen)
        page = press(app, KEY_PAGE_DOWN, args.keys, interval, quiet)
        print(f"  keys: {args.keys} × page-down done (closed loop)", file=sys.stderr)
        scroll_cpu = (app.cpu_seconds() - cpu1) / (time.perf_counter() - t1)
        after = settle(app, 2.0)
        rss_after = app.status()
        loading_after = loading_lines(app.screen)
        rows_after = check_rows(app.screen, args.db, args.actor)
        held: dict[str, Any] = {}
        if args.hold:
            held["j"] = hold(
                app, KEY_DOWN, args.keys, interval, typical_step(down, start and start[0])
            )
            settle(app, 1.0)
            print(f"  keys: {args.keys} × j held", file=sys.stderr)
            step = typical_step(page, page_start and page_start[0])
            held["page_down"] = hold(app, KEY_PAGE_DOWN, args.keys, interval, step)
            print(f"  keys: {args.keys} × page-down held", file=sys.stderr)
            held["settled_after_s"] = settle(app, 2.0)["settled_after_s"]
            held["loading_rows_left_on_screen"] = loading_lines(app.screen)
            held["rows_check"] = check_rows(app.screen, args.db, args.actor)
        rss_end = app.status()
        final_screen = app.screen.text()
    finally:
        app.kill()
    bare = PtyApp([sys.executable, str(BARE)], env, ROOT, answer_sync=args.sync).start()
    try:
        first_paint(bare, "bare")
        settle_bare(bare, args.settle)
        rss_bare = bare.status()
    finally:
        bare.kill()
    return {
        "first_paint_ms": {k: round(v * 1000, 1) for k, v in paint.items()},
        "settle": settled,
        "idle_cpu_share": round(idle_cpu, 3),
        "scroll_cpu_share": round(scroll_cpu, 3),
        "interval_ms": args.interval,
        "quiet_ms": args.quiet,
        "j": key_summary(down),
        "page_down": key_summary(page),
        "slowest_j": slowest(down),
        "slowest_page_down": slowest(page),
        "held": held,
        "memory_mb": {
            "console_settled_rss": round(rss_settled["VmRSS"] / 1024, 1),
            "console_after_scrolling_rss": round(rss_after["VmRSS"] / 1024, 1),
            "console_at_end_rss": round(rss_end["VmRSS"] / 1024, 1),
            "console_peak_rss_hwm": round(rss_end["VmHWM"] / 1024, 1),
            "console_threads_at_end": rss_end["Threads"],
            "bare_settled_rss": round(rss_bare["VmRSS"] / 1024, 1),
        },
        "after_scrolling": {
            "settled_after_s": after["settled_after_s"],
            "loading_rows_left_on_screen": loading_after,
        },
        "rows_check_at_start": rows_at_start,
        "rows_check_after": rows_after,
        "final_screen": final_screen,
    }


def settle_bare(app: PtyApp, seconds: float) -> None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.pump(0.05)


def machine(db: str) -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "textual": _version("textual"),
        "rich": _version("rich"),
        "loadavg_at_start": os.getloadavg(),
        "mem_total_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_head": _git_head(),
    }


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _git_head() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out.stdout.strip() + (" + uncommitted changes in src/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def verdicts(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if "startup" in result:
        ratio = result["startup"]["ratios_to_bare"]["complete (status bar + first queue row)"]
        out["start-up ratio (complete frame) <= 1.3"] = {"value": ratio, "ok": ratio <= 1.3}
    if "keys" in result:
        for name in ("j", "page_down"):
            for measure in ("first_bytes", "position_shown"):
                s = result["keys"][name][measure]
                if s.get("n"):
                    out[f"{name} {measure}: p50 <= 16 ms"] = {
                        "value": s["p50_ms"],
                        "ok": s["p50_ms"] <= 16,
                    }
                    out[f"{name} {measure}: max <= 50 ms"] = {
                        "value": s["max_ms"],
                        "ok": s["max_ms"] <= 50,
                    }
        mem = result["keys"]["memory_mb"]
        worst = max(
            mem["console_settled_rss"],
            mem["console_after_scrolling_rss"],
            mem["console_at_end_rss"],
        )
        out["RSS <= 80 MB"] = {"value": worst, "ok": worst <= 80}
    return out


def markdown(result: dict[str, Any]) -> str:
    lines: list[str] = []
    m = result["machine"]
    lines += [
        f"Store: {result['store']['path']} ({result['store']['mb']:,} MB, "
        f"{result['store']['max_ticket_id']:,} tickets, schema {result['store']['schema']}); "
        f"{m['nproc']} CPUs, Python {m['python']}, Textual {m['textual']}; "
        f"code {m['git_head']}; terminal {COLS}x{ROWS} xterm-256color.",
        "",
    ]
    if "startup" in result:
        s = result["startup"]
        med = s["median_ms"]
        lines += [
            f"Start-up, median of {s['runs']} alternated runs each "
            f"(after {s['warmup_runs_discarded']} warm-up pairs), ms from spawn:",
            "",
            "| marker | console | bare DataTable |",
            "| --- | ---: | ---: |",
        ]
        names = [
            "first_byte",
            "alt_screen",
            "layout",
            "status_bar",
            "first_row",
            "complete",
            "rows",
        ]
        for name in names:
            c, b = med["console"].get(name), med["bare"].get(name)
            if c is None and b is None:
                continue
            cells = ["" if v is None else f"{v:.0f}" for v in (c, b)]
            lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
        lines += ["", "| console / bare (bare = its rows on screen) | ratio |", "| --- | ---: |"]
        lines += [f"| {k} | {v:.2f} |" for k, v in s["ratios_to_bare"].items()]
        lines += [
            "",
            f"RSS at first paint (median): console {s['rss_at_first_paint_mb']['console']} MB, "
            f"bare {s['rss_at_first_paint_mb']['bare']} MB.",
            "",
        ]
    if "keys" in result:
        k = result["keys"]
        presses = k["j"]["first_bytes"].get("n", 0) + k["j"]["first_bytes"].get("missing", 0)
        lines += [
            f"Keys, closed loop: {presses} × j then as many page-downs, each after the previous "
            f"one's update, >= {k['interval_ms']} ms apart and after >= {k['quiet_ms']} ms of "
            "quiet output; ms from the write to:",
            "",
            "| key | measure | p50 | p95 | max | missing |",
            "| --- | --- | ---: | ---: | ---: | ---: |",
        ]
        for key in ("j", "page_down"):
            for measure in (
                "first_bytes",
                "first_frame_complete",
                "first_visible_change",
                "cursor_row_moved",
                "position_shown",
            ):
                v = k[key][measure]
                if not v.get("n"):
                    lines.append(f"| {key} | {measure} | | | | {v.get('missing')} |")
                    continue
                lines.append(
                    f"| {key} | {measure} | {v['p50_ms']:.2f} | {v['p95_ms']:.2f} | "
                    f"{v['max_ms']:.2f} | {v['missing']} |"
                )
        held = k.get("held") or {}
        if held.get("j"):
            lines += [
                "",
                "Held keys (a press every "
                f"{held['j']['interval_ms']} ms on a fixed clock; latency = write to the first "
                "frame showing the position that press leads to):",
                "",
                "| key | presses | rows/press | p50 | p95 | max | never reached "
                "| caught up after last key ms | position end / expected |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            ]
            for key in ("j", "page_down"):
                h = held[key]
                v = h["to_expected_position"]
                lines.append(
                    f"| {key} | {h['presses']} | {h['step_rows']} | {v.get('p50_ms', '')} | "
                    f"{v.get('p95_ms', '')} | {v.get('max_ms', '')} | {v.get('missing')} | "
                    f"{h['caught_up_after_last_key_ms']} | {h['position_end']:,} / "
                    f"{h['position_expected']:,} |"
                )
        mem = k["memory_mb"]
        lines += [
            "",
            f"Position after j: {k['j']['position_after']}, after page-downs: "
            f"{k['page_down']['position_after']}; keys whose frame still showed `loading…` rows: "
            f"j {k['j']['keys_seeing_loading_rows']}, "
            f"page-down {k['page_down']['keys_seeing_loading_rows']}; `loading…` rows left 2 s "
            f"after the last key: {k['after_scrolling']['loading_rows_left_on_screen']}.",
            f"Rows on screen match the store: at start {k['rows_check_at_start'].get('ok')}, "
            f"after scrolling {k['rows_check_after'].get('ok')}.",
            f"Console CPU: {k['idle_cpu_share'] * 100:.0f}% of a core while idle, "
            f"{k['scroll_cpu_share'] * 100:.0f}% while scrolling.",
            "",
            "| memory (VmRSS) | MB |",
            "| --- | ---: |",
            f"| console, settled | {mem['console_settled_rss']} |",
            f"| console, after scrolling | {mem['console_after_scrolling_rss']} |",
            f"| console, after the held keys too | {mem['console_at_end_rss']} |",
            f"| console, peak (VmHWM) | {mem['console_peak_rss_hwm']} |",
            f"| bare DataTable app, settled | {mem['bare_settled_rss']} |",
            "",
        ]
    for it in result.get("importtime", []):
        lines += [
            f"`python -X importtime -c 'import {it['module']}'`: {it['total_ms']} ms of imports "
            f"(process {it['process_wall_ms_median']} ms, {it['modules']} modules, VmRSS after "
            f"{it['rss_after_import_mb']} MB; median of {it['repeats']}); heaviest, cumulative:",
            "",
            "| module | depth | cumulative ms | self ms |",
            "| --- | ---: | ---: | ---: |",
            *(
                f"| {r['module']} | {r['depth']} | {r['cumulative_ms']} | {r['self_ms']} |"
                for r in it["top_cumulative_excluding_own_package_chain"]
            ),
            "",
            "| heaviest by own time | self ms |",
            "| --- | ---: |",
            *(f"| {r['module']} | {r['self_ms']} |" for r in it["top_self"]),
            "",
        ]
    if result.get("rss_by_import_mb"):
        lines += [
            "VmRSS of a fresh interpreter after `import X` (what the code alone costs):",
            "",
            "| import | MB |",
            "| --- | ---: |",
            *(f"| {name} | {mb} |" for name, mb in result["rss_by_import_mb"].items()),
            "",
        ]
    if result.get("verdicts"):
        lines += ["| target | value | met |", "| --- | ---: | --- |"]
        lines += [
            f"| {name} | {v['value']} | {'yes' if v['ok'] else '**no**'} |"
            for name, v in result["verdicts"].items()
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the store (a SQLite file)")
    parser.add_argument("--as", dest="actor", default="agent01")
    parser.add_argument("--runs", type=int, default=15, help="start-up runs of each app")
    parser.add_argument("--warmup", type=int, default=1, help="start-up pairs not counted")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between start-ups")
    parser.add_argument("--keys", type=int, default=300, help="j presses, then page-downs")
    parser.add_argument("--interval", type=float, default=60, help="ms between keys (at least)")
    parser.add_argument("--quiet", type=float, default=10, help="ms of no output before a key")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after first paint")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle (CPU measured)")
    parser.add_argument(
        "--no-hold",
        dest="hold",
        action="store_false",
        help="skip the held-key runs (keys on a fixed clock, however far behind the screen is)",
    )
    parser.add_argument("--importtime-repeats", type=int, default=5)
    parser.add_argument("--cstui", default=str(Path(sys.executable).parent / "cstui"))
    parser.add_argument(
        "--no-sync",
        dest="sync",
        action="store_false",
        help="do not answer Textual's synchronized-output query (frames end at each read)",
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=["startup", "keys", "importtime"]
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    check_schema(args.db)
    compile_tree(installed_package())
    console_cmd = [args.cstui, "--db", args.db, "--as", args.actor]
    result: dict[str, Any] = {
        "machine": machine(args.db),
        "store": store_facts(args.db),
        "command": console_cmd,
        "terminal": {
            "cols": COLS,
            "rows": ROWS,
            "TERM": "xterm-256color",
            "sync_answered": args.sync,
        },
    }
    sampler = LoadSampler()
    sampler.start()
    with tempfile.TemporaryDirectory(prefix="cstui-bench-console-") as tmp:
        env = child_env(Path(tmp))
        if "startup" not in args.skip:
            load = LoadSampler()
            load.start()
            result["startup"] = startup(args, env, console_cmd)
            result["startup"]["load"] = load.stop()
        if "keys" not in args.skip:
            load = LoadSampler()
            load.start()
            result["keys"] = keys_and_memory(args, env, console_cmd)
            result["keys"]["load"] = load.stop()
    if "importtime" not in args.skip:
        result["importtime"] = [
            importtime(mod, args.importtime_repeats)
            for mod in (
                "cstui.cli",
                "cstui.console.app",
                "cstui.cli, cstui.console.app",  # all the console imports before its first frame
                "textual.app, textual.widgets",  # what the bare DataTable app imports
            )
        ]
        result["rss_by_import_mb"] = rss_by_import()
    result["load"] = sampler.stop()
    result["verdicts"] = verdicts(result)
    print(markdown(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
