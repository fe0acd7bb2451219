"""Text from outside as Textual draws it: never markup, never terminal control.

A string given to a Textual widget is read as markup (`[@click=app.quit]` is an action), and
a control character in it goes to the terminal as it is. Everything the console and the
monitor show of a ticket, a customer or an article goes through here: `assemble` and `plain`
make content from text, every part of it `inert` (`cstui.domain.display`); `SafeApp`
shows notifications the same way.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from textual.app import App
from textual.content import Content

from cstui.domain.display import inert

Part = str | tuple[str, str]


def assemble(*parts: Part) -> Content:
    """`Content.assemble`, each text made inert: (text, style) pairs or plain strings."""
    return Content.assemble(
        *(inert(p) if isinstance(p, str) else (inert(p[0]), p[1]) for p in parts)
    )


def plain(text: str) -> Content:
    """`text` as it reads: no markup, no control."""
    return Content(inert(text))


class SafeApp(App[None]):
    """An app whose notifications are plain text, kept in `notices` for tests to read."""

    def __init__(self) -> None:
        super().__init__()
        # What the app last told its user (also what tests read back).
        self.notices: deque[tuple[str, str]] = deque(maxlen=50)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Messages quote tickets, names and errors: never read as markup."""
        message = inert(message)
        self.notices.append((severity, message))
        super().notify(
            message, title=inert(title), severity=severity, timeout=timeout, markup=False
        )
