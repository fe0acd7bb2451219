"""Run the bare app or cstui, noting when each start-up phase ends (for startup_phases.py).

    PHASES_OUT=FILE python bench/phase_probe.py bare
    PHASES_OUT=FILE python bench/phase_probe.py cstui --db … --as agent01

Both import `textual.app` first (each would import it anyway), then run as they do alone.
Written to FILE, as `time.perf_counter()` values (the same clock in every process here):
`python` (the interpreter is up), `textual` (Textual is imported), `run` (`App.run` is
called: the app's own imports, its settings and its widgets' construction are done) and
`frame` (the first frame is handed to the terminal's writer).
"""

from __future__ import annotations

import time

PYTHON_UP = time.perf_counter()

import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from textual.app import App  # noqa: E402

TEXTUAL_UP = time.perf_counter()
marks = {"python": PYTHON_UP, "textual": TEXTUAL_UP}


def _write() -> None:
    Path(os.environ["PHASES_OUT"]).write_text(
        "".join(f"{name} {value!r}\n" for name, value in marks.items())
    )


_run, _display = App.run, App._display


def run(self: App[Any], *args: Any, **kwargs: Any) -> Any:
    marks["run"] = time.perf_counter()
    return _run(self, *args, **kwargs)


def display(self: App[Any], screen: Any, renderable: Any) -> None:
    _display(self, screen, renderable)
    if renderable is not None and "frame" not in marks:
        marks["frame"] = time.perf_counter()
        _write()  # now: the harness kills the app once it has seen the frame


App.run = run  # type: ignore[method-assign]
App._display = display  # type: ignore[method-assign]

if sys.argv[1] == "bare":
    sys.path.insert(0, str(Path(__file__).parent))
    from bare_datatable import BareTable

    BareTable().run()
else:
    from cstui.__main__ import run as cstui

    sys.argv = sys.argv[1:]
    cstui()
