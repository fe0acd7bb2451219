"""The queue's rows as a window over keyset pages: what is loaded, what to fetch next.

A view can hold a million tickets. The window keeps the start cursor of every page it has
seen (a few bytes each) and the rows of only the pages near the cursor; a page that scrolls
far out of sight is dropped and fetched again by its cursor when it comes back. Row `i` is
on page `i // page_size`: keyset pages are full until the last one.

With a filter, the window scans pages in order and keeps the matching rows, up to a limit,
so typing in a large view stays quick; it says how far it has looked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cstui.domain.model import Ticket
from cstui.store.base import View

OPENING_VIEW = View.UNASSIGNED  # the view the queue shows when the console opens
PAGE_SIZE = 100
KEEP_PAGES = 12  # rows kept in memory: about 1,200 tickets, whatever the view's size
FILTER_SCAN_LIMIT = 5_000


@dataclass(frozen=True, slots=True)
class Fetch:
    """A page to ask the store for: its number and the cursor it starts after."""

    page: int
    cursor: str | None
    generation: int


@dataclass(slots=True)
class _Slot:
    cursor: str | None  # where this page starts (None for the first page)
    items: tuple[Ticket, ...] | None = None
    next_cursor: str | None = None
    loaded: bool = False  # fetched at least once: its length and next cursor are known


def matches(ticket: Ticket, needle: str) -> bool:
    """Filter as you type: id, subject, customer, owner or order number contain it."""
    needle = needle.casefold().lstrip("#")
    if not needle:
        return True
    order = ticket.order.number if ticket.order else ""
    hay = f"{ticket.id} {ticket.subject} {ticket.customer.name} {ticket.owner or ''} {order}"
    return needle in hay.casefold()


@dataclass
class QueueWindow:
    """The rows of one view: len(), row(i), and which page to fetch for row i."""

    page_size: int = PAGE_SIZE
    keep_pages: int = KEEP_PAGES
    slots: list[_Slot] = field(default_factory=lambda: [_Slot(cursor=None)])
    generation: int = 0
    pending: set[int] = field(default_factory=set)
    stale: set[int] = field(default_factory=set)  # held pages to read again when in view
    needle: str = ""
    scanned: int = 0
    matched: list[Ticket] = field(default_factory=list)

    # -- reading ------------------------------------------------------------------------

    def __len__(self) -> int:
        if self.needle:
            return len(self.matched)
        loaded = [s for s in self.slots if s.loaded]
        if not loaded:
            return 0
        last = self.slots[len(loaded) - 1]
        full = (len(loaded) - 1) * self.page_size
        return full + (len(last.items) if last.items is not None else self.page_size)

    @property
    def has_more(self) -> bool:
        """More rows exist after the loaded ones (the list shows a 'loading' line)."""
        last = self.slots[-1]
        if self.needle:
            return (not last.loaded or last.next_cursor is not None) and not self.scan_capped
        return not last.loaded

    @property
    def scan_capped(self) -> bool:
        return self.scanned >= FILTER_SCAN_LIMIT

    @property
    def started(self) -> bool:
        return self.slots[0].loaded

    def row(self, i: int) -> Ticket | None:
        """Row i if it is in memory; None if it must be fetched (or does not exist)."""
        if self.needle:
            return self.matched[i] if 0 <= i < len(self.matched) else None
        page, offset = divmod(i, self.page_size)
        if not 0 <= page < len(self.slots):
            return None
        items = self.slots[page].items
        if items is None or offset >= len(items):
            return None
        return items[offset]

    def rows(self) -> Sequence[Ticket]:
        """Every row in memory, in order (for 'next ticket' and for marking)."""
        if self.needle:
            return self.matched
        return [t for s in self.slots if s.items for t in s.items]

    # -- fetching -----------------------------------------------------------------------

    def wanted(self, first: int, last: int) -> Fetch | None:
        """The next page to fetch so rows first..last (and one page beyond) can be shown."""
        if self.needle:
            return self._scan_next(last)
        top = max(0, first // self.page_size)
        bottom = last // self.page_size + 1
        for page in range(top, min(bottom, len(self.slots) - 1) + 1):
            slot = self.slots[page]
            if (slot.items is None or page in self.stale) and page not in self.pending:
                return self._fetch(page)
        return None

    def _scan_next(self, last: int) -> Fetch | None:
        if len(self.matched) > last + self.page_size or self.scan_capped:
            return None
        page = len(self.slots) - 1
        slot = self.slots[page]
        if slot.loaded or page in self.pending:
            return None
        return self._fetch(page)

    def _fetch(self, page: int) -> Fetch:
        self.pending.add(page)
        return Fetch(page=page, cursor=self.slots[page].cursor, generation=self.generation)

    def loaded(self, fetch: Fetch, items: Sequence[Ticket], next_cursor: str | None) -> bool:
        """Take a fetched page in; False if it belongs to an older view or filter."""
        if fetch.generation != self.generation:
            return False
        self.pending.discard(fetch.page)
        if fetch.page >= len(self.slots) or self.slots[fetch.page].cursor != fetch.cursor:
            return False  # the page's start moved while it was read: it is asked again
        self.stale.discard(fetch.page)
        slot = self.slots[fetch.page]
        first_time = not slot.loaded
        slot.items, slot.next_cursor, slot.loaded = tuple(items), next_cursor, True
        self._chain(fetch.page, next_cursor)
        if self.needle:
            if first_time:
                self.scanned += len(items)
                self.matched.extend(t for t in items if matches(t, self.needle))
            slot.items = None  # the matches are kept; the page itself is not needed
        return True

    def _chain(self, page: int, next_cursor: str | None) -> None:
        """The page after `page` starts where `page` now ends: rows that came or went in
        `page` moved that boundary, and the next page is read again from the new one."""
        if page == len(self.slots) - 1:
            if next_cursor is not None:
                self.slots.append(_Slot(cursor=next_cursor))
            return
        if next_cursor is None:  # the view ends here now
            del self.slots[page + 1 :]
            self.stale = {p for p in self.stale if p <= page}
            self.pending = {p for p in self.pending if p <= page}
        elif self.slots[page + 1].cursor != next_cursor:
            self.slots[page + 1].cursor = next_cursor
            self.stale.add(page + 1)

    def changed(self) -> None:
        """The store changed: each page held is read again once it is in view, its rows
        shown meanwhile (a filter's matches stay as they are until the filter changes)."""
        if not self.needle:
            self.stale = {p for p, s in enumerate(self.slots) if s.loaded}

    def index_of(self, ticket_id: int) -> int | None:
        """Where a ticket is among the rows in memory."""
        if self.needle:
            found = [i for i, t in enumerate(self.matched) if t.id == ticket_id]
            return found[0] if found else None
        for page, slot in enumerate(self.slots):
            for offset, ticket in enumerate(slot.items or ()):
                if ticket.id == ticket_id:
                    return page * self.page_size + offset
        return None

    def failed(self, fetch: Fetch) -> None:
        self.pending.discard(fetch.page)

    def evict(self, around: int) -> None:
        """Drop the rows of pages far from row `around`, keeping memory flat."""
        if self.needle:
            return
        centre = around // self.page_size
        held = [i for i, s in enumerate(self.slots) if s.items is not None]
        if len(held) <= self.keep_pages:
            return
        for page in sorted(held, key=lambda p: abs(p - centre), reverse=True):
            if len(held) <= self.keep_pages:
                break
            self.slots[page].items = None
            held.remove(page)

    # -- changing what is shown ---------------------------------------------------------

    def reset(self, needle: str = "") -> None:
        """Start again from the first page (a new view, a new filter, or a reload)."""
        self.generation += 1
        self.slots = [_Slot(cursor=None)]
        self.pending.clear()
        self.stale.clear()
        self.needle = needle.strip()
        self.scanned = 0
        self.matched = []

    def replace(self, ticket: Ticket) -> None:
        """Show a changed ticket's new state in place (it stays until the next reload)."""
        for slot in self.slots:
            if slot.items:
                slot.items = tuple(ticket if t.id == ticket.id else t for t in slot.items)
        self.matched = [ticket if t.id == ticket.id else t for t in self.matched]
