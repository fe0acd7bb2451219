"""The console's main screen: the status bar, four panes and how the store fills them.

The queue asks for pages as it scrolls, the views and the search refill it, the ticket and
its customer follow the cursor, the knowledge pane searches as the agent types. Every store
call goes through `StoreIO`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

import platformdirs
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input

from cstui.console.config import ConsoleConfig
from cstui.console.customer import CustomerCard, CustomerPane, gather_card
from cstui.console.dialogs import Answer, FormDialog
from cstui.console.footer import KeysFooter
from cstui.console.io import StoreIO
from cstui.console.knowledge import KnowledgePane, suggested_hits, triage_note
from cstui.console.queue import VIEWS, Line, QueueList, QueuePane
from cstui.console.ticket import TicketExtras, TicketPane, is_text_box
from cstui.domain.channels import DeliveryState
from cstui.domain.files import human_size
from cstui.domain.model import Agent, ArticleKind, Customer, Page, Ticket
from cstui.errors import CstuiError, NotFound
from cstui.i18n import t
from cstui.localfiles import open_on_desktop, save_download
from cstui.store.base import HelpdeskStore, View

if TYPE_CHECKING:
    from cstui.assist.ranking import Suggestions

SUGGESTED = 3  # answers listed when a ticket opens
SUGGESTED_TEMPLATES = 10  # templates listed by `m`
REST_SECONDS = 0.15  # keys closer than this count as scrolling: load where the cursor rests
SETTLE_SECONDS = 0.2  # changes arriving within this are shown at once, in one read
COUNTS_GAP_SECONDS = 1.0  # the views' counts are read again at most this often after changes
NARROW_BELOW = 100  # columns: below this, one pane at a time (1-4 and Tab switch)
PANES = ("queue-pane", "ticket-pane", "customer-pane", "knowledge-pane")

# The counts of every view, the agent's nearest SLA deadline, who has which ticket open.
Counts = tuple[dict[View, int], datetime | None, dict[int, tuple[str, ...]]]
# The one view whose rows change with the clock alone (tickets come into the risk window
# as time passes); every other count changes only with a write, which the live feed
# reports (`_show_changes`). Counting all nine views at a million tickets is ~90 ms of
# SQL, which every key pressed during it felt.
CLOCK_VIEW = View.SLA_RISK


def load_extras(store: HelpdeskStore, ticket_id: int) -> TicketExtras:
    """A ticket's files and deliveries (in the worker that loads it). A team server from
    before channels has neither route: its tickets show none rather than failing to open."""
    try:
        files = store.attachments(ticket_id)
        sent = store.deliveries(ticket_id=ticket_id, limit=200)
    except NotFound:
        return TicketExtras()
    return TicketExtras(tuple(files), tuple(sent))


class StatusBar(Line):
    """Agent, shift, the view's count and the nearest SLA deadline."""

    DEFAULT_CSS = "StatusBar { dock: top; height: 1; background: $panel; padding: 0 1; }"


class Panes(StoreIO):
    """The main screen's panes, filled from the store."""

    def __init__(
        self,
        open_store: Callable[[], HelpdeskStore],
        config: ConsoleConfig,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(open_store)
        self.config = config
        self.clock = clock
        self.agent: Agent | None = None
        self.queue = QueueList(
            actor=config.actor, clock=clock, risk_window=config.risk_window, id="queue"
        )
        self._wanted_ticket: int | None = None
        self._pane_index = 0
        self._last_move = 0.0
        self._rest_timer: Timer | None = None
        self._nearest: datetime | None = None  # the agent's nearest SLA deadline
        self._warm = False
        self._marks: dict[str, dict[int, Ticket]] = {}  # other views' marks, put away
        self._changed: set[int | None] = set()  # tickets changed since the views were read
        self._change_timer: Timer | None = None
        self._counts_timer: Timer | None = None
        self._counts_at = 0.0  # when the counts were last asked for after a change

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="panes"):
            yield QueuePane(self.queue, id="queue-pane")
            yield TicketPane(
                clock=self.clock,
                window=self.config.risk_window,
                tz=self.config.tz,
                id="ticket-pane",
            )
            yield CustomerPane(self.config.tz, id="customer-pane")
            yield KnowledgePane(id="knowledge-pane")
        yield KeysFooter()

    # The panes are on the main screen: a timer or an answer may arrive while a dialog is
    # over it, and the app's own query looks only at the screen on top.
    @property
    def pane(self) -> QueuePane:
        return self._main_screen().query_one(QueuePane)

    @property
    def ticket_pane(self) -> TicketPane:
        return self._main_screen().query_one(TicketPane)

    def _main_screen(self) -> Screen[Any]:
        return self.screen_stack[0] if self.screen_stack else self.screen

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: the app's own (`self.size`) is still the previous one here.
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        # The main screen, also while a dialog is over it (resized under a dialog, the
        # panes must have the new layout when it closes).
        self._main_screen().set_class(width < NARROW_BELOW, "-narrow")

    # -- the queue ---------------------------------------------------------------------------

    @on(QueueList.WantPage)
    def _want_page(self, message: QueueList.WantPage) -> None:
        store, fetch, view = self.store, message.fetch, self.pane.view
        if fetch.generation != self.queue.window.generation:
            return  # asked for before a restart (at mount, before the store was open)
        if store is None:
            self.queue.page_failed(fetch)
            return
        size, query = self.queue.window.page_size, self.pane.search

        def load() -> tuple[Any, ...]:
            if query is not None:  # a search's results page like a view's
                found = store.search_tickets(
                    query, actor=self.config.actor, limit=size, cursor=fetch.cursor
                )
                matches = {h.ticket.id: h.match for h in found.items if h.match}
                tickets = Page(tuple(h.ticket for h in found.items), found.next_cursor)
                return fetch, tickets, matches
            return fetch, store.list_tickets(
                view, actor=self.config.actor, limit=size, cursor=fetch.cursor
            )

        def failed(exc: CstuiError) -> None:
            self.queue.page_failed(fetch)
            self._failed(exc)

        self._io(load, self._page_loaded, failed=failed)

    def _page_loaded(self, result: tuple[Any, ...]) -> None:
        fetch, page, *matches = result  # a search's page also says where each ticket matched
        if matches:
            self.queue.matches.update(matches[0])
        self.queue.page_loaded(fetch, page.items, page.next_cursor)
        self.pane.show_tabs()

    def refresh_counts(self) -> None:
        store = self.store
        if store is None:
            return

        def count() -> Counts:
            counts = {v: store.count_tickets(v, actor=self.config.actor) for v in VIEWS}
            mine = store.list_tickets(View.MINE, actor=self.config.actor, limit=20).items
            dues = [d for tk in mine if (d := tk.due.nearest()) is not None]
            return counts, min(dues) if dues else None, store.viewers()

        self._io(count, self._counts_ready, newest="counts")
        self.refresh_deliveries()

    def refresh_clock_counts(self) -> None:
        """What moves without a write, read every few seconds: the risk view's count, and
        who has which ticket open (presence is no event)."""
        store = self.store
        if store is None:
            return

        def count() -> tuple[int, dict[int, tuple[str, ...]]]:
            return store.count_tickets(CLOCK_VIEW, actor=self.config.actor), store.viewers()

        self._io(count, self._clock_counts_ready, newest="clock-counts")
        self.refresh_deliveries()

    def _clock_counts_ready(self, result: tuple[int, dict[int, tuple[str, ...]]]) -> None:
        at_risk, viewers = result
        if self.pane.counts:  # else the first full count is still to come: no lone tab
            self.pane.counts = {**self.pane.counts, CLOCK_VIEW: at_risk}
            self.pane.show_tabs()
        self.queue.set_viewers(viewers)

    def refresh_deliveries(self) -> None:
        """While a delivery shown is still queued, its state is read again with the counts:
        the agent sees the reply go out (or fail) without opening the ticket again."""
        store, shown = self.store, self.ticket_pane.ticket
        extras = self.ticket_pane.extras
        if store is None or shown is None:
            return
        if not any(d.state is DeliveryState.QUEUED for d in extras.deliveries):
            return
        ticket_id = shown.id

        def loaded(extras: TicketExtras) -> None:
            current = self.ticket_pane.ticket
            if current is not None and current.id == ticket_id:
                self.ticket_pane.show(current, extras)

        self._io(lambda: load_extras(store, ticket_id), loaded, newest="deliveries")

    def _counts_ready(self, result: Counts) -> None:
        self.pane.counts, self._nearest, viewers = result
        if not self._warm:
            # The store's statement caches and the first pages are made by now: freeze
            # them too, so a full collection only walks what scrolling makes. One full
            # pass first, now that the first rows are painted (the collector was paused
            # until the store was open): it frees what start-up left, and it is what
            # keeps later full passes rare (CPython runs one when the objects made since
            # the last exceed a quarter of those it kept then).
            self._warm = True
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        self.queue.set_viewers(viewers)
        self.pane.show_tabs()
        self._draw_status()

    # -- live changes ------------------------------------------------------------------------

    def live_changed(self, ticket_id: int | None) -> None:
        """A ticket changed somewhere (from the live feed's thread): changes that come
        together are shown together, a moment later."""
        self.call_from_thread(self._note_change, ticket_id)

    def _note_change(self, ticket_id: int | None) -> None:
        self._changed.add(ticket_id)
        if self._change_timer is None:
            self._change_timer = self.set_timer(SETTLE_SECONDS, self._show_changes)

    def _show_changes(self) -> None:
        self._change_timer = None
        changed, self._changed = self._changed, set()
        if not self.query(QueuePane):
            return  # the console is closing: its panes are gone
        if self.pane.search is None:  # a search's results are the answer to a question
            self.queue.changed()
        self._counts_soon()
        shown = self.ticket_pane.ticket
        if shown is not None and shown.id in changed and shown.id == self._wanted_ticket:
            self.load_ticket(shown.id)

    def _counts_soon(self) -> None:
        """The counts again after a change, at most once a second: a burst of arrivals
        costs one set of count queries a second, not one per arrival."""
        wait = self._counts_at + COUNTS_GAP_SECONDS - monotonic()
        if wait <= 0:
            self._counts_later()
        elif self._counts_timer is None:
            self._counts_timer = self.set_timer(wait, self._counts_later)

    def _counts_later(self) -> None:
        self._counts_timer, self._counts_at = None, monotonic()
        if self.screen_stack:  # none while the app is closing: nothing left to count for
            self.refresh_counts()

    def action_view(self, step: int) -> None:
        index = (VIEWS.index(self.pane.view) + step) % len(VIEWS)
        self.switch_view(VIEWS[index])

    def _marks_key(self) -> str:
        return self.pane.view.value if self.pane.search is None else f"?{self.pane.search}"

    def _marks_follow(self, before: str) -> None:
        """Marks belong to the view (or search) they were made in: leaving it puts them
        away, coming back brings them back; a bulk action never acts on unseen rows."""
        if self.queue.marked:
            self._marks[before] = self.queue.marked
        self.queue.marked = self._marks.pop(self._marks_key(), {})

    def switch_view(self, view: View) -> None:
        before = self._marks_key()
        self.pane.view = view
        self.pane.search = None  # a view replaces the search results
        self._marks_follow(before)
        self.pane.remove_class("searching")
        self.queue.restart(self._filter_text())
        self.pane.show_tabs()
        self._draw_status()

    def _filter_text(self) -> str:
        return (
            self.query_one("#queue-filter", Input).value if self.pane.has_class("filtering") else ""
        )

    def action_filter(self) -> None:
        self._set_active(0)
        self.pane.add_class("filtering")
        self.query_one("#queue-filter", Input).focus()

    @on(Input.Changed, "#queue-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.queue.restart(event.value)
        self.pane.show_tabs()

    @on(Input.Submitted, "#queue-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.pane.remove_class("filtering")
        self.queue.focus()

    def action_search(self) -> None:
        """The search box: every ticket in the store, not only this view."""
        self._set_active(0)
        self.pane.add_class("searching")
        self.query_one("#queue-search", Input).focus()

    @on(Input.Submitted, "#queue-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        if not query:  # an empty search goes back to the view
            self.switch_view(self.pane.view)
        else:
            before = self._marks_key()
            self.pane.search = query
            self._marks_follow(before)
            self.queue.restart(self._filter_text())
            self.pane.show_tabs()
        self.queue.focus()

    @on(QueueList.MarksChanged)
    def _marks_changed(self, _message: QueueList.MarksChanged) -> None:
        self.pane.show_position()

    def action_clear_marks(self) -> None:
        count = len(self.queue.marked)
        self.queue.clear_marks()
        self.notify(t("bulk.cleared", count=count), timeout=3)

    def action_mark_all(self) -> None:
        count = self.queue.mark_all()
        self.notify(t("bulk.marked_all", count=count), timeout=3)

    def action_reload(self) -> None:
        self.queue.restart(self._filter_text())
        self.refresh_counts()
        if self.ticket_pane.ticket is not None:
            self.load_ticket(self.ticket_pane.ticket.id)

    # -- the ticket and its customer ---------------------------------------------------------

    @on(QueueList.Highlighted)
    def _highlighted(self, message: QueueList.Highlighted) -> None:
        # (The position line has followed the cursor already: QueuePane watches it.)
        # An isolated move opens the ticket at once; while keys repeat (scrolling), only
        # the row where the cursor comes to rest is loaded.
        now, ticket_id = monotonic(), message.ticket.id
        rapid = now - self._last_move < REST_SECONDS
        self._last_move = now
        if self._rest_timer is not None:
            self._rest_timer.stop()
            self._rest_timer = None
        if rapid:
            self._rest_timer = self.set_timer(REST_SECONDS, lambda: self.load_ticket(ticket_id))
        else:
            self.load_ticket(ticket_id)

    @on(QueueList.Opened)
    def _opened(self, message: QueueList.Opened) -> None:
        self.load_ticket(message.ticket.id)
        self._set_active(1)

    def load_ticket(self, ticket_id: int) -> None:
        store = self.store
        if store is None:
            return
        self._wanted_ticket = ticket_id

        def load() -> tuple[Ticket, TicketExtras]:
            ticket = store.get_ticket(ticket_id)
            store.set_presence(actor=self.config.actor, ticket_id=ticket_id)
            return ticket, load_extras(store, ticket_id)

        self._io(load, lambda got: self._ticket_loaded(*got), newest="ticket")

    def _ticket_loaded(self, ticket: Ticket, extras: TicketExtras | None = None) -> None:
        if ticket.id != self._wanted_ticket:
            return  # the cursor has moved on
        previous = self.ticket_pane.ticket
        others = [w for w in self.queue.viewers.get(ticket.id, ()) if w != self.config.actor]
        if others and (previous is None or previous.id != ticket.id):
            self.notify(t("queue.viewing", who=", ".join(others)), severity="warning", timeout=4)
        self.ticket_pane.show(ticket, extras)
        self.queue.update_ticket(ticket)
        if previous is None or previous.id != ticket.id:
            self.suggest_answers(ticket.id)
        if previous is None or previous.customer.id != ticket.customer.id:
            self.load_customer(ticket.customer.id)
        elif previous.id == ticket.id and previous.status is not ticket.status:
            # The card lists the customer's tickets with their status: taken or resolved
            # here, it says so (a contact revealed stays revealed).
            card = self.query_one(CustomerPane).card
            kept = card.customer if card is not None and card.revealed else None
            self.load_customer(ticket.customer.id, revealed=kept)

    def show_taken(self, ticket: Ticket) -> None:
        """A ticket the agent has just taken from elsewhere than the cursor: open it now,
        and load it again with its thread."""
        self._wanted_ticket = ticket.id
        self._ticket_loaded(ticket)
        self.load_ticket(ticket.id)

    def load_customer(self, customer_id: int, *, revealed: Customer | None = None) -> None:
        """The customer's card; `revealed`: the whole contact the audited reveal returned
        (a team server sends it masked everywhere else)."""
        store = self.store
        if store is None:
            return

        def gather() -> CustomerCard:
            card = gather_card(store, customer_id, now=self.clock(), window=self.config.risk_window)
            if revealed is None:
                return card
            return replace(card, customer=revealed, revealed=True)

        self._io(gather, self.query_one(CustomerPane).show, newest="customer")

    def save_attachment(self) -> None:
        """Pick one of the open ticket's files; it is fetched and saved in a worker, then
        opened where there is a desktop."""
        ticket = self._current()
        if ticket is None:
            return
        files = self.ticket_pane.extras.attachments
        if not files:
            self.notify(t("fail.no_files", id=ticket.id), severity="warning")
            return
        choices = [
            (str(a.id), f"{a.filename} · {human_size(a.size)} · {a.content_type}") for a in files
        ]
        dialog = FormDialog(
            f"{t('action.save_attachment')} #{ticket.id}",
            choices=choices,
            choice_label=t("dialog.attachment"),
        )

        def chosen(answer: Answer | None) -> None:
            if answer is not None and answer.choice is not None:
                self._save(int(answer.choice))

        self.push_screen(dialog, chosen)

    def _save(self, attachment_id: int) -> None:
        store = self.store
        if store is None:
            return
        where = self.config.downloads_dir

        def fetch_and_save() -> tuple[Path, bool]:
            attachment, data = store.attachment(attachment_id)
            directory = where or Path(platformdirs.user_downloads_dir())
            path = save_download(directory, attachment.filename, data)
            return path, open_on_desktop(path)

        def saved(result: tuple[Path, bool]) -> None:
            path, opened = result
            key = "done.saved_opened" if opened else "done.saved"
            self.notify(t(key, path=str(path)), timeout=6)

        self._io(fetch_and_save, saved)

    def _current(self) -> Ticket | None:
        """The open ticket, or None after saying that none is open."""
        ticket = self.ticket_pane.ticket
        if ticket is None:
            self.notify(t("fail.no_ticket"), severity="warning")
        return ticket

    # -- the knowledge pane --------------------------------------------------------------------

    def open_templates(self) -> None:
        """The knowledge pane, templates only, for the open ticket's reply: the likeliest for
        its last customer message first, before anything is typed."""
        ticket = self._current()
        if ticket is None:
            return
        kb = self.query_one(KnowledgePane)
        kb.templates_only = True
        self._set_active(3)
        kb.focus_search()
        self.suggest_answers(ticket.id, kind=ArticleKind.TEMPLATE)

    def suggest_answers(self, ticket_id: int, *, kind: ArticleKind | None = None) -> None:
        """The likeliest answers for a ticket, in a worker; shown if it is still open and
        nothing is typed in the search box. The focus stays where it is (the agent may be
        typing): Enter or ↓ in the empty search box goes to them."""
        store = self.store
        if store is None:
            return
        limit = SUGGESTED if kind is None else SUGGESTED_TEMPLATES

        def shown(found: Suggestions) -> None:
            current = self.ticket_pane.ticket
            if current is None or current.id != ticket_id:
                return  # the cursor has moved on
            self.query_one(KnowledgePane).show_suggested(suggested_hits(found), triage_note(found))

        self._io(
            lambda: store.suggest(ticket_id, limit=limit, kind=kind),
            shown,
            failed=lambda _exc: None,  # no suggestions (an older server): the pane stays empty
            newest="suggest",
        )

    @on(KnowledgePane.Search)
    def _search(self, message: KnowledgePane.Search) -> None:
        store, query = self.store, message.query
        if store is None:
            return
        kind = ArticleKind.TEMPLATE if self.query_one(KnowledgePane).templates_only else None
        if not query.strip():
            self.query_one(KnowledgePane).show(query, ())
            return
        self._io(
            lambda: (query, tuple(store.search_articles(query, limit=20, kind=kind))),
            self._found,
            newest="kb",
        )

    def _found(self, result: tuple[str, Any]) -> None:
        query, hits = result
        self.query_one(KnowledgePane).show(query, hits)

    # -- which pane is active ------------------------------------------------------------------

    def action_step_out(self) -> None:
        """Escape, one step out: from a text box to its pane, from a pane to the queue, and
        in the queue from a search's results or a filter back to the whole view."""
        focused = self.focused
        box = focused.id if focused is not None and is_text_box(focused) else None
        if box == "queue-filter" or (box is None and self._filter_text()):
            self._clear_filter()
        elif box == "queue-search" and self.pane.search is None:
            self.pane.remove_class("searching")
        elif box == "kb-query":
            self.query_one("#kb-results").focus()
            return
        elif box is not None and self._pane_index != 0:
            self.action_pane(self._pane_index)
            return
        elif box is None and self._pane_index == 0 and self.pane.search is not None:
            self.switch_view(self.pane.view)
        self.action_pane(0)

    def _clear_filter(self) -> None:
        field = self.query_one("#queue-filter", Input)
        self.pane.remove_class("filtering")
        if field.value:
            with field.prevent(Input.Changed):
                field.value = ""
            self.queue.restart()
            self.pane.show_tabs()

    def action_pane(self, index: int) -> None:
        self._set_active(index)
        body = self.query_one("#ticket-body")
        target = {0: self.queue, 1: body, 2: self.query_one(CustomerPane)}.get(index)
        if index == 3:
            self.query_one(KnowledgePane).focus_search()
        elif target is not None:
            target.focus()

    def _set_active(self, index: int) -> None:
        self._pane_index = index
        for i, pane_id in enumerate(PANES):
            self.query_one(f"#{pane_id}").set_class(i == index, "-active")

    def on_descendant_focus(self, event: Any) -> None:
        node = event.widget
        while node is not None and getattr(node, "id", None) not in PANES:
            node = node.parent
        if node is not None:
            self._set_active(PANES.index(node.id))
