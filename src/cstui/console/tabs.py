"""The view tabs packed into lines whole: a narrow pane breaks between tabs, never inside
one ("Esc" at the end of a line and "54" on the next).

Each tab is (text, current); the current one is drawn reversed. The result is markup made
here, with any outside text escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.markup import escape

SEPARATOR = " · "


def pack_tabs(tabs: Sequence[tuple[str, bool]], width: int) -> str:
    """The tabs as markup lines of at most `width` cells (a tab wider than that alone)."""
    lines: list[list[str]] = [[]]
    used = 0
    for text, current in tabs:
        shown = f" {text} " if current else text
        need = cell_len(shown) + (cell_len(SEPARATOR) if lines[-1] else 0)
        if lines[-1] and used + need > width:
            lines.append([])
            used, need = 0, cell_len(shown)
        lines[-1].append(f"[reverse b]{escape(shown)}[/]" if current else escape(shown))
        used += need
    return "\n".join(SEPARATOR.join(line) for line in lines)
