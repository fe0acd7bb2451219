"""A queue view's page, as SQL text and as tickets: one definition of the operation.

The store runs it through SQLAlchemy (`queue.list_tickets`); the first look runs the same
text through sqlite3 before SQLAlchemy is loaded (`glance.py`). Both read the rows back
with the same code, so both show the same tickets and continue with the same cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from cstui.domain.model import Page, Ticket
from cstui.errors import BadInput
from cstui.store import rows as R
from cstui.store.views import ViewSpec, encode_cursor, keyset_sql

MAX_PAGE = 500

_TICKET_JOINS = R.TICKET_FROM.removeprefix("FROM tickets t ")


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise BadInput(f"limit: between 1 and {MAX_PAGE}")


def page_sql(spec: ViewSpec, *, after: bool, dialect: str) -> str:
    """A queue page's query: `limit + 1` rows (`:n`) of the view, after the cursor's keys
    (`:k0`, `:k1`, …) when `after`. On PostgreSQL the tickets are limited before they are
    joined.

    There the planner guesses one row for a deep page's keyset row comparison, then joined
    the whole rest of the queue to customers, orders and agents and sorted it (3.5 ms p50 for
    a page at 90% of a 5,000-ticket queue, growing with what is left) instead of walking the
    view's index and stopping (1.0 ms). SQLite plans the flat query well (bench/queue_page.py).
    """
    where, order = keyset_sql(spec, after=after)
    if dialect != "postgresql":
        return f"{R.ticket_select(dialect)} WHERE {where} ORDER BY {order} LIMIT :n"
    page = f"SELECT * FROM tickets t WHERE {where} ORDER BY {order} LIMIT :n"
    columns = R.ticket_columns(dialect)
    return f"SELECT {columns} FROM ({page}) t {_TICKET_JOINS} ORDER BY {order}"


def page_of(
    rows: Sequence[Sequence[Any]], spec: ViewSpec, *, limit: int, green_window: timedelta
) -> Page[Ticket]:
    """The page from `page_sql`'s rows (one more than `limit` when the view goes on)."""
    more = len(rows) > limit
    rows = rows[:limit]
    items = [R.ticket_from_row(r, (), green_window) for r in rows]
    next_cursor = None
    if more:
        next_cursor = encode_cursor(R.order_keys(rows[-1], spec.order))
    return Page(items=tuple(items), next_cursor=next_cursor)
