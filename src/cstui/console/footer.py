"""The footer's keys, rebuilt once per burst of binding changes.

Textual's `Footer` rebuilds all its keys after every change of the active bindings (a
focus change, a `refresh_bindings`), each rebuild mounting and styling a widget per key.
At start-up the bindings change five times within a few frames (mount, focus, the first
layout, the first page and its ticket), and the queued rebuilds held the first rows back
by ~100 ms. One rebuild reads the bindings as they are when it runs, so the ones asked for
while it is pending add nothing. And each key gets the footer's `compact` before it mounts:
Textual's keys take it at mount, through a watcher that restyled each key on its own.
(`FooterKey` is not exported by `textual.widgets`; Textual is pinned.)
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


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
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # Its `compact` is the footer's (the palette's key keeps its own): given
                # before it mounts, no watcher runs.
                # Set at mount, the watcher restyled every key (twice when they differ),
                # a quarter of the UI thread's start-up in py-spy.
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget
