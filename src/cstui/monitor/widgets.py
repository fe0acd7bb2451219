"""The monitor's table: a bounded `DataTable` whose rows take a tone from the theme.

Tables here hold at most a few hundred rows (the store's lists are limited), so Textual's
own DataTable is fine; refreshing keeps the cursor on the same row by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from cstui.domain.display import inert
from cstui.monitor.rows import Row

TONES = ("breached", "risk", "ok", "green", "paused", "muted")


class FloorTable(DataTable[Text]):
    """Rows of `Row`; a row's tone colours it with a theme token ($sla-breached …)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"floor-table--{tone}" for tone in TONES}
    DEFAULT_CSS = """
    FloorTable { height: 1fr; }
    FloorTable > .floor-table--breached { color: $sla-breached; text-style: bold; }
    FloorTable > .floor-table--risk { color: $sla-risk; }
    FloorTable > .floor-table--ok { color: $sla-ok; }
    FloorTable > .floor-table--green { color: $green-channel; text-style: bold; }
    FloorTable > .floor-table--paused { color: $warning; text-style: italic; }
    FloorTable > .floor-table--muted { color: $text-muted; }
    """

    def __init__(self, columns: Sequence[str], *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._columns = tuple(columns)
        self.rows_shown: list[Row] = []

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    def show(self, rows: Sequence[Row]) -> None:
        """Replace the rows, keeping the cursor on the same key when it is still there."""
        current = self.selected_key
        self.clear()
        for row in rows:
            style = self.get_component_rich_style(f"floor-table--{row.tone}") if row.tone else ""
            # Cells quote subjects, names and reasons: shown inert, never as markup.
            self.add_row(*(Text(inert(cell), style=style) for cell in row.cells), key=row.key)
        self.rows_shown = list(rows)
        if current is not None and current in {r.key for r in rows}:
            self.move_cursor(row=self.get_row_index(current), animate=False)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, or None on an empty table."""
        if not self.row_count:
            return None
        key: RowKey = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return key.value
