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
    """A callable `(done, total)` that moves one bar; a no-op when not shown."""
    if not (enabled and sys.stderr.isatty()):
        yield _none
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
        refresh_per_second=4,
    )
    task = progress.add_task(label, total=None)

    def advance(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    with progress:
        yield advance


def phase(advance: Advance, offset: int, total: int) -> Advance:
    """One phase of a job measured as one bar: its units start at `offset`."""
    return lambda done, _: advance(offset + done, total)
