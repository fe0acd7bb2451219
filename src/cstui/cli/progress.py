"""Progress bars for the long commands (seed, import, export, reindex): Rich's, on stderr.

Shown only when stderr is a terminal and the output is not `--json`, so scripts and logs
get none. A bar appears at once (before the first unit of work is done) with its elapsed
time; the remaining time follows from the rate so far.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Advance = Callable[[int, int], None]  # (done, total)


def _none(done: int, total: int) -> None:
    return None


@contextmanager
def bar(label: str, *, enabled: bool) -> Iterator[Advance]:
    """A callable `(done, total)` that moves one bar; a no-op when not shown. A total of 0
    is unknown: the bar pulses and the label counts what is done."""
    if not (enabled and sys.stderr.isatty()):
        yield _none
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
        refresh_per_second=4,
        # stdout is the command's output (an export's lines): never drawn into the bar's
        # console, which is stderr's.
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = progress.add_task(label, total=None)

    def advance(done: int, total: int) -> None:
        described = label if total else f"{label} {done:,}"
        progress.update(task, completed=done, total=total or None, description=described)

    with progress:
        yield advance


def phase(advance: Advance, offset: int, total: int, weight: int = 1) -> Advance:
    """One phase of a job measured as one bar: its units start at `offset`, each of its
    steps worth `weight` units (a slower phase weighs more, so the ETA holds across)."""
    return lambda done, _: advance(offset + done * weight, total)
