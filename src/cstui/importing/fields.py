"""Reading one field of a source record: a time, a word of a vocabulary; every problem one
line naming where it is ("tickets[3].created_at: not an ISO date-time")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cstui.domain.model import Category
from cstui.errors import BadInput


def when(value: Any, where: str) -> datetime:
    """An ISO 8601 date-time ("2024-03-01T08:15:00Z"); a naive one is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{where}: expected an ISO date-time")
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{where}: not an ISO date-time: {value!r}") from None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def maybe_when(value: Any, where: str) -> datetime | None:
    return None if value in (None, "") else when(value, where)


def text(value: Any, where: str, *, default: str | None = None) -> str:
    if value is None or value == "":
        if default is not None:
            return default
        raise BadInput(f"{where}: required")
    if not isinstance(value, str | int):
        raise BadInput(f"{where}: expected text")
    return str(value)


def category_of(words: list[str]) -> Category:
    """The first word that names a category (a tag "refund"); else a product question."""
    for word in words:
        if word.lower() in Category._value2member_map_:
            return Category(word.lower())
    return Category.PRODUCT
