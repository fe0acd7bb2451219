"""Live rows in the queue's window: pages held are read again from their keyset cursors, and
a page whose end moved moves the next page's start, so no row is lost or shown twice."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from cstui.console.window import QueueWindow
from cstui.domain.model import Ticket


def page(store: list[int], cursor: str | None, size: int) -> tuple[list[Ticket], str | None]:
    """A keyset page of a view ordered by id: the rows after `cursor`."""
    after = int(cursor) if cursor else -1
    rows = [i for i in store if i > after][: size + 1]
    more = len(rows) > size
    rows = rows[:size]
    tickets = [cast(Ticket, SimpleNamespace(id=i)) for i in rows]
    return tickets, (str(rows[-1]) if more and rows else None)


def fill(window: QueueWindow, store: list[int], first: int, last: int) -> None:
    """Answer every page the rows first..last want, as the app would."""
    while (fetch := window.wanted(first, last)) is not None:
        items, next_cursor = page(store, fetch.cursor, window.page_size)
        window.loaded(fetch, items, next_cursor)


def ids(window: QueueWindow) -> list[Any]:
    return [t.id for t in window.rows()]


def test_live_rows_arrive_and_leave_across_page_boundaries() -> None:
    store = [10, 20, 30, 40, 50, 60, 70]
    window = QueueWindow(page_size=3)
    fill(window, store, 0, 10)
    assert ids(window) == store

    store[:] = sorted([*store, 5, 25, 65])  # three arrive, on three pages
    store.remove(40)  # one leaves
    window.changed()
    fill(window, store, 0, 10)
    assert ids(window) == store
    assert len(window) == len(store)
    assert window.index_of(25) == store.index(25)

    store[:] = [10, 20]  # most leave: the view ends sooner
    window.changed()
    fill(window, store, 0, 10)
    assert ids(window) == [10, 20] and len(window) == 2 and not window.has_more


def test_live_rows_an_answer_for_a_moved_page_is_not_taken() -> None:
    store = [1, 2, 3, 4, 5, 6]
    window = QueueWindow(page_size=3)
    fill(window, store, 0, 10)
    window.changed()
    first = window.wanted(0, 10)
    second = window.wanted(0, 10)
    assert first is not None and second is not None and second.page == 1
    store.insert(0, 0)  # a row arrives before page 1's old start
    window.loaded(first, *page(store, first.cursor, 3))  # page 0 now ends at 2
    stale = page(store, second.cursor, 3)  # read from the old start (after 3)
    assert not window.loaded(second, *stale)
    fill(window, store, 0, 10)
    assert ids(window) == store
