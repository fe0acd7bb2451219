"""A notification in words: the catalog's message for its key, filled with its values.

Shared by the console's list and toasts and by `cstui notifications`, so an agent reads the
same sentence in both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cstui.domain.model import Department
from cstui.i18n import label, t

if TYPE_CHECKING:  # the automations' models are not needed to word a notice
    from cstui.domain.automations import Notification


def notice_text(n: Notification) -> str:
    """The message in the current language from its key and values; a key this build does
    not know, or values that do not fit it, still say which rule and ticket."""
    values: dict[str, Any] = dict(n.params)
    dept = values.get("department")
    if dept in {d.value for d in Department}:
        values["department"] = label(Department(dept))
    values.setdefault("ticket", str(n.ticket_id or ""))  # also: `t` formats only with values
    try:
        text = t(n.text_key, **values)
    except (KeyError, IndexError, ValueError):
        text = n.text_key
    if text == n.text_key:  # not in the catalog: the rule's name and the ticket
        text = f"{n.rule.replace('_', ' ')} #{values.get('ticket', n.ticket_id or '')}"
    return text
