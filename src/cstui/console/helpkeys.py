"""What the help screen (`?`) lists: the console's own keys in the agent's language, and a
legend of the marks the queue draws.

Textual's own bindings (scrolling, Page Left, copy on super+c, focus next) are left out:
they are how widgets work, not what an agent does. A key is kept when a cstui class
declares it under an id (every one of ours has one; Textual's have none). Its words come
from the catalog by that id, so a class whose BINDINGS were made before the language was
chosen still reads in that language.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.dom import DOMNode

from cstui.i18n import t

# Bindings declared with fixed English words (the class is made at import): their words.
HELP_WORDS = {
    "queue.up": "help.queue_up",
    "queue.down": "help.queue_down",
    "queue.page_up": "help.page_up",
    "queue.page_down": "help.page_down",
    "queue.first": "help.first",
    "queue.last": "help.last",
    "queue.open": "help.open",
    "mark": "action.mark",
    "notices.all_read": "action.notices_read",
    "compose.send": "help.send",
    "compose.close": "help.compose_close",
    "notices.close": "help.close",
}

# The marks a queue row may carry, in the order they appear on it.
LEGEND = (
    ("●", "legend.green"),
    ("★", "legend.vip"),
    ("◆", "legend.mine"),
    ("◇", "legend.other"),
    ("◉", "legend.viewing"),
    ("-1h05m", "legend.over"),
)


def _ours(node: DOMNode) -> set[str]:
    """The ids of the bindings cstui classes declare on `node` (Textual's have none)."""
    found: set[str] = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith("cstui."):
            for b in cls.__dict__.get("BINDINGS", ()):
                if isinstance(b, Binding) and b.id:
                    found.add(b.id)
    return found


def help_rows(app: object, active: Iterable[tuple[DOMNode, Binding]]) -> list[tuple[str, str]]:
    """(key, what it does) for each of the console's keys that applies now, once each."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    cache: dict[type, set[str]] = {}
    for node, binding in active:
        ours = cache.get(type(node))
        if ours is None:
            ours = cache[type(node)] = _ours(node)
        name = binding.id
        if name is None or name not in ours or not binding.description or name in seen:
            continue
        seen.add(name)
        words = t(HELP_WORDS[name]) if name in HELP_WORDS else binding.description
        rows.append((app.get_key_display(binding), words))  # type: ignore[attr-defined]
    return rows


def legend_rows() -> list[tuple[str, str]]:
    return [(mark, t(key)) for mark, key in LEGEND]
