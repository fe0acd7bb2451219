"""The footer's keys, rebuilt once per burst of binding changes.

Textual's `Footer` rebuilds all its keys after every change of the active bindings (a
focus change, a `refresh_bindings`), each rebuild mounting and styling a widget per key.
At start-up the bindings change five times within a few frames (mount, focus, the first
layout, the first page and its ticket), and the queued rebuilds held the first rows back
by ~100 ms. One rebuild reads the bindings as they are when it runs, so the ones asked for
while it is pending add nothing.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """`Footer`, with the rebuilds asked for before the pending one has run dropped."""

    _rebuild_pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._rebuild_pending:
            return
        super().bindings_changed(screen)
        # What `Footer.bindings_changed` checks before it asks for a rebuild
        self._rebuild_pending = bool(
            screen.app.app_focus and self.is_attached and screen is self.screen
        )

    def compose(self) -> ComposeResult:
        self._rebuild_pending = False  # from here on the bindings are read afresh
        yield from super().compose()
