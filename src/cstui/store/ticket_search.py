"""Ticket search: `status:open tier:vip 退款` — field filters and words in the subject.

Filters are `field:value` (status, priority, channel, category, tier, owner — a name, or
`none` — and customer, an id); every other word must appear in the subject (case-blind).
Hits come newest first, keyset-paged on the id, so a deep page costs what the first does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from cstui.domain.model import Category, Channel, Page, Priority, Status, Ticket, Tier
from cstui.errors import BadInput

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from cstui.store.sql import SqlStore

ENUM_FILTERS: dict[str, tuple[str, type[StrEnum]]] = {
    "status": ("t.status", Status),
    "priority": ("t.priority", Priority),
    "channel": ("t.channel", Channel),
    "category": ("t.category", Category),
    "tier": ("t.tier", Tier),
}
MAX_WORDS = 8


@dataclass
class _Query:
    conditions: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, condition: str, value: Any) -> None:
        name = f"p{len(self.params)}"
        self.conditions.append(condition.format(p=f":{name}"))
        self.params[name] = value


def search_tickets(
    store: SqlStore, query: str, *, actor: str | None, limit: int = 50, cursor: str | None = None
) -> Page[Ticket]:
    """One page of the tickets matching `query`, newest first."""
    from cstui.store import rows as R

    if not 1 <= limit <= 500:
        raise BadInput("limit: between 1 and 500")
    with store._read() as conn:
        q = _parse(conn, store, query)
        if cursor is not None:
            q.add("t.id < {p}", _cursor_id(cursor))
        where = " AND ".join(q.conditions) or "1 = 1"
        sql = f"{R.TICKET_SELECT} WHERE {where} ORDER BY t.id DESC LIMIT {int(limit) + 1}"
        rows = conn.execute(text(sql), q.params).all()
        items = store._hydrate(conn, list(rows[:limit]))
    more = len(rows) > limit
    return Page(items=tuple(items), next_cursor=str(items[-1].id) if more else None)


def _parse(conn: Connection, store: SqlStore, query: str) -> _Query:
    q = _Query()
    words = query.split()
    if len(words) > MAX_WORDS:
        raise BadInput(f"q: at most {MAX_WORDS} words and filters")
    for word in words:
        name, sep, value = word.partition(":")
        if sep and name in ENUM_FILTERS:
            column, enum = ENUM_FILTERS[name]
            q.add(f"{column} = {{p}}", _enum_value(enum, value, name))
        elif sep and name == "owner":
            _owner(conn, store, q, value)
        elif sep and name == "customer":
            if not value.isdigit() or len(value) > 10:
                raise BadInput(f"q: customer:{value}: give a customer id")
            q.add("t.customer_id = {p}", int(value))
        else:
            q.add("lower(t.subject) LIKE {p} ESCAPE '\\'", f"%{_escaped(word.lower())}%")
    return q


def _owner(conn: Connection, store: SqlStore, q: _Query, name: str) -> None:
    if name == "none":
        q.conditions.append("t.owner_id IS NULL")
        return
    q.add("t.owner_id = {p}", store._agent_row(conn, name)["id"])


def _enum_value(enum: type[StrEnum], value: str, name: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        allowed = " ".join(m.value for m in enum)
        raise BadInput(f"q: {name}:{value}: unknown (one of: {allowed})") from None


def _escaped(word: str) -> str:
    """LIKE's wildcards in a search word are literal characters."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _cursor_id(cursor: str) -> int:
    if not cursor.isdigit() or len(cursor) > 10:
        raise BadInput("cursor: not a cursor from this search")
    return int(cursor)
