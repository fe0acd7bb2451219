"""The agent console: four panes over one `HelpdeskStore`, every workflow on a key.

The app never blocks on the store: each call runs in a thread worker (`_io`) and its result
comes back to the UI thread; an error becomes a notification, never a crash. The store is
opened in a worker too, after the first paint, so start-up shows the screen at once.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from time import monotonic
from typing import Any, TypeVar

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input

from cstui.console.customer import CustomerCard, CustomerPane, gather_card
from cstui.console.dialogs import Answer, ConfirmDialog, FormDialog, HelpScreen
from cstui.console.drafts import DraftBox, Outbox, Outgoing
from cstui.console.knowledge import KnowledgePane
from cstui.console.queue import VIEWS, Line, QueueList, QueuePane
from cstui.console.render import countdown
from cstui.console.safe import SafeApp
from cstui.console.ticket import Composer, TicketPane
from cstui.domain.model import (
    Agent,
    ArticleKind,
    Customer,
    Department,
    MessageKind,
    Page,
    ResolutionCode,
    Role,
    Status,
    Ticket,
)
from cstui.domain.ownership import check_resolve
from cstui.domain.templates import fill, ticket_values
from cstui.errors import AlreadyOwned, CstuiError, StaleVersion, Unavailable
from cstui.i18n import label, t
from cstui.store.base import HelpdeskStore, View

T = TypeVar("T")

COUNTS_EVERY = 5.0  # seconds between live count refreshes on a local store
REST_SECONDS = 0.15  # keys closer than this count as scrolling: load where the cursor rests
BEAT_EVERY = 30.0  # presence heartbeat; the store forgets a console silent for 90 s
OUTBOX_EVERY = 10.0  # seconds between attempts to send what a down server did not take
CLOCK_EVERY = 15.0  # countdowns move by the minute; redraw them a few times a minute
NARROW_BELOW = 100  # columns: below this, one pane at a time (1-4 and Tab switch)
PANES = ("queue-pane", "ticket-pane", "customer-pane", "knowledge-pane")
SETTABLE_STATUSES = (Status.OPEN, Status.PENDING, Status.ON_HOLD)


@dataclass(frozen=True)
class ConsoleConfig:
    """What the console needs besides the store; built by the CLI from the settings."""

    actor: str
    store_key: str
    drafts_dir: Path
    risk_window: timedelta = timedelta(minutes=30)
    tz: tzinfo | None = None
    theme: str = "cstui-dark"
    keymap: dict[str, str] | None = None
    themes_dir: Path | None = None


def app_bindings() -> list[Binding]:
    """The console's keys, labelled in the current language (ids are what keymaps name)."""
    return [
        Binding("t", "take", t("action.take"), id="take"),
        Binding("r", "reply", t("action.reply"), id="reply"),
        Binding("i", "note", t("action.note"), id="note"),
        Binding("m", "template", t("action.template"), id="template"),
        Binding("e", "escalate", t("action.escalate"), id="escalate"),
        Binding("g", "green", t("action.green"), id="green"),
        Binding("x", "transfer", t("action.transfer"), id="transfer"),
        Binding("s", "status", t("action.status"), id="status"),
        Binding("c", "resolve", t("action.resolve"), id="resolve"),
        Binding("f", "follow_up", t("action.follow_up"), id="follow-up"),
        Binding("u", "next_ticket", t("action.next"), id="next"),
        Binding("v", "reveal", t("action.reveal"), show=False, id="reveal"),
        Binding("slash", "filter", t("action.filter"), id="filter"),
        Binding("ctrl+f", "search", t("action.search"), id="search"),
        Binding("asterisk", "mark_all", t("action.mark_all"), show=False, id="mark-all"),
        Binding("ctrl+r", "reload", t("action.reload"), show=False, id="reload"),
        Binding(
            "right_square_bracket", "view(1)", t("action.view_next"), show=False, id="view.next"
        ),
        Binding(
            "left_square_bracket", "view(-1)", t("action.view_prev"), show=False, id="view.prev"
        ),
        Binding(
            "1", "pane(0)", t("action.focus", pane=t("pane.queue")), show=False, id="pane.queue"
        ),
        Binding(
            "2", "pane(1)", t("action.focus", pane=t("pane.ticket")), show=False, id="pane.ticket"
        ),
        Binding(
            "3",
            "pane(2)",
            t("action.focus", pane=t("pane.customer")),
            show=False,
            id="pane.customer",
        ),
        Binding(
            "4",
            "pane(3)",
            t("action.focus", pane=t("pane.knowledge")),
            show=False,
            id="pane.knowledge",
        ),
        Binding("question_mark", "help", t("action.help"), id="help"),
        Binding("q", "quit", t("action.quit"), id="quit"),
    ]


def build_app(
    open_store: Callable[[], HelpdeskStore],
    config: ConsoleConfig,
    *,
    clock: Callable[[], datetime] | None = None,
) -> CstuiApp:
    """The console with its key labels in the chosen language.

    Textual reads a class's BINDINGS when the class is made, so the labelled class is made
    here, after `i18n.set_language`, instead of at import.
    """
    labelled = type("CstuiApp", (CstuiApp,), {"BINDINGS": app_bindings()})
    return labelled(open_store, config, clock=clock)


class StatusBar(Line):
    """Agent, shift, the view's count and the nearest SLA deadline."""

    DEFAULT_CSS = "StatusBar { dock: top; height: 1; background: $panel; padding: 0 1; }"


class CstuiApp(SafeApp):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "cstui"

    def __init__(
        self,
        open_store: Callable[[], HelpdeskStore],
        config: ConsoleConfig,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.open_store = open_store
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))
        self.store: HelpdeskStore | None = None
        self.agent: Agent | None = None
        self.drafts = DraftBox(config.drafts_dir, config.store_key, config.actor)
        self.outbox = Outbox(config.drafts_dir, config.store_key, config.actor)
        self._delivering: set[str] = set()  # outbox keys with a send under way
        self.queue = QueueList(
            actor=config.actor, clock=self.clock, risk_window=config.risk_window, id="queue"
        )
        self._wanted_ticket: int | None = None
        self._pane_index = 0
        self._last_move = 0.0
        self._rest_timer: Timer | None = None
        self._theme_problems: list[str] = []
        self._load_themes()

    # -- layout ---------------------------------------------------------------------------

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
        yield Footer()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The app's own tokens from the default theme, so any theme (a minimal user theme,
        or one of Textual's) still has $vip, $sla-breached and the rest."""
        from cstui.console.themes import default_tokens

        return {**super().get_theme_variable_defaults(), **default_tokens()}

    def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(problem, severity="warning", timeout=8)
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self._layout_for(self.size.width)
        self.queue.focus()
        self._set_active(0)
        self._io(self.open_store, self._store_ready, group="open", failed=self._store_failed)

    def _load_themes(self) -> None:
        """Before the app starts: a theme set after mount re-parses every stylesheet on the
        UI thread (~150 ms), just when the first rows arrive."""
        from cstui.console import themes

        found, self._theme_problems = themes.load_themes(self.config.themes_dir)
        for theme in found.values():
            self.register_theme(theme)
        wanted = self.config.theme if self.config.theme in found else "cstui-dark"
        if wanted in found:
            self.theme = wanted

    def on_resize(self) -> None:
        self._layout_for(self.size.width)

    def _layout_for(self, width: int) -> None:
        self.screen.set_class(width < NARROW_BELOW, "-narrow")

    # -- the store, in workers -----------------------------------------------------------

    def _io(
        self,
        work: Callable[[], T],
        done: Callable[[T], None],
        *,
        group: str,
        exclusive: bool = False,
        failed: Callable[[CstuiError], None] | None = None,
    ) -> None:
        """Run `work` in a thread; `done` (or the error handler) runs on the UI thread."""

        def run() -> None:
            try:
                result = work()
            except Unavailable as exc:
                self.call_from_thread(self._went_offline, exc, failed)
            except CstuiError as exc:
                self.call_from_thread(failed or self._failed, exc)
            except Exception as exc:  # store errors never crash the console
                self.call_from_thread(
                    self._failed,
                    CstuiError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
                )
            else:
                self.call_from_thread(self._back_online, done, result)

        self.run_worker(run, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def _failed(self, exc: CstuiError) -> None:
        self.notify(str(exc), title=t("fail.title"), severity="error", timeout=6)

    def _went_offline(self, exc: Unavailable, failed: Callable[[CstuiError], None] | None) -> None:
        """The store (a team server) is unreachable: said once and kept in the status bar,
        not a toast for every refresh while it lasts."""
        first = self._offline is None
        self._offline = str(exc)
        if failed is not None:
            failed(exc)
        elif first:
            self._failed(exc)
        self._draw_status()

    def _back_online(self, done: Callable[[T], None], result: T) -> None:
        if self._offline is not None:
            self._offline = None
            self._draw_status()
            self._flush_outbox()
            self._catch_up()
        done(result)

    def _catch_up(self) -> None:
        """Ask again for what failed while the store was away (the console may have opened
        then): who the agent is, and the queue rows that could not be fetched."""
        store = self.store
        if store is None:
            return
        if self.agent is None:
            self._load_agent(store)
        self.queue.want()

    def _store_failed(self, exc: CstuiError) -> None:
        """Say so where it stays visible: the status bar, not only a passing toast."""
        self._offline = str(exc)
        self._failed(exc)
        self._draw_status()

    def _store_ready(self, store: HelpdeskStore) -> None:
        self.store = store
        # Everything made so far (modules, classes, the app's widgets) lives as long as the
        # process: keep it out of the cyclic collector, whose full passes over it took
        # 60-90 ms on the UI thread, long enough to be seen as a stuck key.
        gc.freeze()
        self._load_agent(store)
        self.queue.restart()
        self.refresh_counts()
        self.set_interval(COUNTS_EVERY, self.refresh_counts)
        self.set_interval(CLOCK_EVERY, self._tick)
        self.set_interval(BEAT_EVERY, self._beat)
        self.set_interval(OUTBOX_EVERY, self._flush_outbox)
        self._announce_drafts()
        self._flush_outbox()  # what an earlier session could not send

    def _load_agent(self, store: HelpdeskStore) -> None:
        self._io(lambda: store.get_agent(self.config.actor), self._agent_ready, group="agent")

    def _agent_ready(self, agent: Agent) -> None:
        self.agent = agent
        self._draw_status()

    def _announce_drafts(self) -> None:
        left = self.drafts.pending()
        if left:
            ids = ", ".join(f"#{tid}" for tid, _kind in left[:5])
            self.notify(f"{t('compose.draft_restored')}: {ids}", timeout=6)

    @property
    def pane(self) -> QueuePane:
        return self.query_one(QueuePane)

    @property
    def ticket_pane(self) -> TicketPane:
        return self.query_one(TicketPane)

    # -- queue ------------------------------------------------------------------------------

    @on(QueueList.WantPage)
    def _want_page(self, message: QueueList.WantPage) -> None:
        store, fetch, view = self.store, message.fetch, self.pane.view
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

        self._io(load, self._page_loaded, group=f"page-{fetch.page}", failed=failed)

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

        def count() -> tuple[dict[View, int], datetime | None, dict[int, tuple[str, ...]]]:
            counts = {v: store.count_tickets(v, actor=self.config.actor) for v in VIEWS}
            mine = store.list_tickets(View.MINE, actor=self.config.actor, limit=20).items
            dues = [d for tk in mine if (d := tk.due.nearest()) is not None]
            return counts, min(dues) if dues else None, store.viewers()

        self._io(count, self._counts_ready, group="counts", exclusive=True)

    def _counts_ready(
        self, result: tuple[dict[View, int], datetime | None, dict[int, tuple[str, ...]]]
    ) -> None:
        self.pane.counts, self._nearest, viewers = result
        if not self._warm:
            # The store's statement caches and the first pages are made by now: freeze
            # them too, so a full collection only walks what scrolling makes.
            self._warm = True
            gc.freeze()
        self.queue.set_viewers(viewers)
        self.pane.show_tabs()
        self._draw_status()

    _nearest: datetime | None = None
    _offline: str | None = None  # why the store is unreachable, while it is
    _warm = False

    def _draw_status(self) -> None:
        agent = self.agent
        who = self.config.actor
        if agent is not None:
            who = f"{agent.display_name or agent.name} ({agent.name})"
        shift = label(agent.shift) if agent and agent.shift else t("header.no_shift")
        view = self.pane.view
        count = self.pane.counts.get(view)
        near = countdown(self._nearest, self.clock()) if self._nearest else ""
        due = t("header.nearest", when=near) if near else t("header.no_due")
        parts = [
            "cstui",
            t("header.agent", agent=who, shift=shift),
            f"{t('view.' + view.value)} {count:,}"
            if count is not None
            else t("view." + view.value),
            due,
        ]
        if self._offline is not None:
            parts.append(f"{t('header.offline')}: {self._offline}")
        unsent = self.outbox.count()
        if unsent:
            parts.append(t("header.unsent", n=unsent))
        self.query_one(StatusBar).show(" │ ".join(parts))

    def _tick(self) -> None:
        self.queue.tick()
        self.ticket_pane.refresh_clock()
        self._draw_status()

    def action_view(self, step: int) -> None:
        index = (VIEWS.index(self.pane.view) + step) % len(VIEWS)
        self.switch_view(VIEWS[index])

    def switch_view(self, view: View) -> None:
        self.pane.view = view
        self.pane.search = None  # a view replaces the search results
        self.pane.remove_class("searching")
        self.queue.restart(self._filter_text())
        self.pane.show_tabs()
        self._draw_status()

    def _filter_text(self) -> str:
        return (
            self.query_one("#queue-filter", Input).value if self.pane.has_class("filtering") else ""
        )

    def action_filter(self) -> None:
        self._show_pane(0)
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
        self._show_pane(0)
        self.pane.add_class("searching")
        self.query_one("#queue-search", Input).focus()

    @on(Input.Submitted, "#queue-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        if not query:  # an empty search goes back to the view
            self.switch_view(self.pane.view)
        else:
            self.pane.search = query
            self.queue.restart(self._filter_text())
            self.pane.show_tabs()
        self.queue.focus()

    @on(QueueList.MarksChanged)
    def _marks_changed(self, _message: QueueList.MarksChanged) -> None:
        self.pane.show_position()

    def action_mark_all(self) -> None:
        count = self.queue.mark_all()
        self.notify(t("bulk.marked_all", count=count), timeout=3)

    def action_reload(self) -> None:
        self.queue.restart(self._filter_text())
        self.refresh_counts()
        if self.ticket_pane.ticket is not None:
            self.load_ticket(self.ticket_pane.ticket.id)

    # -- opening a ticket -------------------------------------------------------------------

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
        self._show_pane(1)

    def load_ticket(self, ticket_id: int) -> None:
        store = self.store
        if store is None:
            return
        self._wanted_ticket = ticket_id

        def load() -> Ticket:
            ticket = store.get_ticket(ticket_id)
            store.set_presence(actor=self.config.actor, ticket_id=ticket_id)
            return ticket

        self._io(load, self._ticket_loaded, group="ticket", exclusive=True)

    def _ticket_loaded(self, ticket: Ticket) -> None:
        if ticket.id != self._wanted_ticket:
            return  # the cursor has moved on
        previous = self.ticket_pane.ticket
        others = [w for w in self.queue.viewers.get(ticket.id, ()) if w != self.config.actor]
        if others and (previous is None or previous.id != ticket.id):
            self.notify(t("queue.viewing", who=", ".join(others)), severity="warning", timeout=4)
        self.ticket_pane.show(ticket)
        self.queue.update_ticket(ticket)
        if previous is None or previous.customer.id != ticket.customer.id:
            self.load_customer(ticket.customer.id)

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

        self._io(gather, self.query_one(CustomerPane).show, group="customer", exclusive=True)

    def _current(self) -> Ticket | None:
        ticket = self.ticket_pane.ticket
        if ticket is None:
            self.notify(t("fail.no_ticket"), severity="warning")
        return ticket

    # -- workflows ----------------------------------------------------------------------

    # -- bulk: the marked rows, each in its own store call ------------------------------

    def _bulk_title(self) -> str:
        return t("bulk.title", count=len(self.queue.marked))

    def _bulk(self, action: str, work: Callable[[HelpdeskStore, int], Any]) -> None:
        """Apply `work` to every marked ticket in one worker, one store call (one
        transaction, the same rules) each; then one summary names what was refused."""
        store = self.store
        if store is None:
            return
        ids = list(self.queue.marked)

        def run_all() -> list[tuple[int, str | None]]:
            results: list[tuple[int, str | None]] = []
            for tid in ids:
                try:
                    work(store, tid)
                    results.append((tid, None))
                except CstuiError as exc:
                    results.append((tid, str(exc)))
            return results

        self._io(run_all, partial(self._bulk_done, action), group="bulk")

    def _bulk_done(self, action: str, results: list[tuple[int, str | None]]) -> None:
        """Done tickets are unmarked; refused ones stay marked, to look at or retry."""
        refused = [(tid, why) for tid, why in results if why is not None]
        done = len(results) - len(refused)
        message = t("bulk.summary", action=action, done=done, total=len(results))
        if refused:
            reasons = "; ".join(f"#{tid} {why}" for tid, why in refused[:4])
            more = " …" if len(refused) > 4 else ""
            message += "\n" + t("bulk.refused", count=len(refused), reasons=reasons + more)
        for tid, why in results:
            if why is None:
                self.queue.marked.pop(tid, None)
        self.notify(message, severity="warning" if refused else "information", timeout=10)
        self.queue.restart(self._filter_text())
        self.refresh_counts()

    def _bulk_note(self) -> None:
        dialog = FormDialog(
            f"{t('action.note')} {self._bulk_title()}",
            text_label=t("dialog.note"),
            text_required=True,
        )
        self.push_screen(dialog, self._bulk_note_answered)

    def _bulk_note_answered(self, answer: Answer | None) -> None:
        if answer is None or not answer.text.strip():
            return
        actor, text = self.config.actor, answer.text.strip()

        def note(s: HelpdeskStore, tid: int) -> Any:
            return s.add_message(tid, actor=actor, kind=MessageKind.NOTE, text=text)

        self._bulk(t("action.note"), note)

    def _act(self, ticket: Ticket, work: Callable[[HelpdeskStore], Any], success: str) -> None:
        """One store write for `ticket`; then say so and show the ticket's new state."""
        store = self.store
        if store is None:
            return

        def done(_result: Any) -> None:
            self.notify(success, timeout=4)
            self.load_ticket(ticket.id)
            self.refresh_counts()

        def failed(exc: CstuiError) -> None:
            self._refused(ticket, exc)

        self._io(lambda: work(store), done, group=f"act-{ticket.id}", failed=failed)

    def _refused(self, ticket: Ticket, exc: CstuiError) -> None:
        if isinstance(exc, AlreadyOwned) and exc.owner:
            self.notify(
                t("fail.conflict_owner", owner=exc.owner, id=ticket.id),
                title=t("fail.title"),
                severity="error",
                timeout=8,
            )
        elif isinstance(exc, StaleVersion):
            self.notify(
                t("fail.stale", id=ticket.id), title=t("fail.title"), severity="error", timeout=8
            )
        else:
            self._failed(exc)
        self.load_ticket(ticket.id)

    def action_take(self) -> None:
        if self.queue.marked:
            actor = self.config.actor
            self._bulk(t("action.take"), lambda s, tid: s.take(tid, actor=actor))
            return
        ticket = self._current() if self.ticket_pane.ticket else self.queue.current
        if ticket is None:
            return
        self._act(
            ticket,
            lambda s: s.take(ticket.id, actor=self.config.actor),
            t("done.take", id=ticket.id),
        )

    def action_reply(self) -> None:
        self._compose(MessageKind.REPLY)

    def action_note(self) -> None:
        if self.queue.marked:
            self._bulk_note()
            return
        self._compose(MessageKind.NOTE)

    def _compose(self, kind: MessageKind) -> None:
        ticket = self._current()
        if ticket is None:
            return
        self._show_pane(1)
        draft = self.drafts.load(ticket.id, kind)
        self.ticket_pane.composer.open(kind, draft)
        if draft:
            self.notify(t("compose.draft_restored"), timeout=3)

    @on(Composer.Edited)
    def _draft_changed(self, message: Composer.Edited) -> None:
        ticket = self.ticket_pane.ticket
        if ticket is None:
            return
        ticket_id, kind = ticket.id, message.kind
        self.drafts.stage(ticket_id, kind, message.text)
        self.run_worker(
            lambda: self.drafts.save_staged(ticket_id, kind),
            thread=True,
            group="draft",
            exit_on_error=False,
        )

    @on(Composer.Send)
    def _send(self, message: Composer.Send) -> None:
        ticket = self._current()
        if ticket is None or self.store is None:
            return
        text = message.text.strip()
        if not text:
            self.notify(t("compose.empty"), severity="warning")
            return
        # On disk before it leaves, with the key every later attempt reuses.
        self._deliver(self.outbox.put(ticket.id, message.kind, text))

    def _deliver(self, item: Outgoing, *, quiet: bool = False) -> None:
        """Send one outbox message. Accepted: gone from disk. Server unreachable: kept, and
        sent again every OUTBOX_EVERY seconds. Refused by a rule: back to the draft."""
        store = self.store
        if store is None or item.key in self._delivering:
            return
        self._delivering.add(item.key)
        done_key = "done.reply" if item.kind is MessageKind.REPLY else "done.note"

        def send() -> Any:
            return store.add_message(
                item.ticket_id,
                actor=self.config.actor,
                kind=item.kind,
                text=item.text,
                idempotency_key=item.key,
            )

        def sent(_msg: Any) -> None:
            self._delivering.discard(item.key)
            self.outbox.remove(item)
            self.drafts.discard(item.ticket_id, item.kind)
            self._close_composer(item)
            self.notify(t(done_key, id=item.ticket_id), timeout=4)
            self._after_write(item.ticket_id)

        def failed(exc: CstuiError) -> None:
            self._delivering.discard(item.key)
            if isinstance(exc, Unavailable):
                self.drafts.discard(item.ticket_id, item.kind)  # the outbox holds it now
                self._close_composer(item)
                if not quiet:
                    self.notify(t("compose.queued", id=item.ticket_id), severity="warning")
                self._draw_status()
                return
            self.outbox.remove(item)
            self.drafts.save(item.ticket_id, item.kind, item.text)  # to be edited, not lost
            self._failed(exc)
            self._after_write(item.ticket_id)

        self._io(send, sent, group=f"send-{item.key}", failed=failed)

    def _flush_outbox(self) -> None:
        for item in self.outbox.pending():
            self._deliver(item, quiet=True)

    def _close_composer(self, item: Outgoing) -> None:
        shown_ticket, composer = self.ticket_pane.ticket, self.ticket_pane.composer
        on_this = shown_ticket is not None and shown_ticket.id == item.ticket_id
        if on_this and composer.is_open and composer.kind is item.kind:
            composer.action_close()

    def _after_write(self, ticket_id: int) -> None:
        if self.ticket_pane.ticket is not None and self.ticket_pane.ticket.id == ticket_id:
            self.load_ticket(ticket_id)
        self.refresh_counts()
        self._draw_status()

    def action_template(self) -> None:
        if self._current() is None:
            return
        kb = self.query_one(KnowledgePane)
        kb.templates_only = True
        self._show_pane(3)
        kb.focus_search()

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
            group="kb",
            exclusive=True,
        )

    def _found(self, result: tuple[str, Any]) -> None:
        query, hits = result
        self.query_one(KnowledgePane).show(query, hits)

    @on(KnowledgePane.Insert)
    def _insert(self, message: KnowledgePane.Insert) -> None:
        ticket, store = self._current(), self.store
        if ticket is None or store is None:
            return
        self._io(
            lambda: store.get_article(message.article_id),
            lambda a: self._insert_article(ticket, a),
            group="article",
        )

    def _insert_article(self, ticket: Ticket, article: Any) -> None:
        name = self.agent.display_name or self.agent.name if self.agent else self.config.actor
        filled = fill(article.body, ticket_values(ticket, agent_name=name, tz=self.config.tz))  # type: ignore[arg-type]
        composer = self.ticket_pane.composer
        if not composer.is_open:
            self._compose(MessageKind.REPLY)
        composer.insert(filled.text)
        self.notify(t("kb.inserted", title=article.title), timeout=3)
        if filled.missing:
            self.notify(
                t("compose.missing", names=", ".join(filled.missing)), severity="warning", timeout=6
            )
        self.query_one(KnowledgePane).templates_only = False

    def action_escalate(self) -> None:
        marked = bool(self.queue.marked)
        ticket = None if marked else self._current()
        if ticket is None and not marked:
            return
        title = self._bulk_title() if ticket is None else f"#{ticket.id}"
        dialog = FormDialog(
            f"{t('action.escalate')} {title}",
            choices=[(d.value, label(d)) for d in Department],
            choice_label=t("dialog.department"),
            text_label=t("dialog.reason"),
            text_required=True,
            check_label=t("dialog.green"),
        )
        self.push_screen(dialog, lambda answer: self._escalate(ticket, answer))

    def _escalate(self, ticket: Ticket | None, answer: Answer | None) -> None:
        if answer is None or answer.choice is None:
            return
        dept = Department(answer.choice)
        if ticket is None:
            actor, why, green = self.config.actor, answer.text, answer.checked

            def escalate(s: HelpdeskStore, tid: int) -> Any:
                return s.escalate(tid, actor=actor, department=dept, reason=why, green=green)

            self._bulk(t("action.escalate"), escalate)
            return
        self._act(
            ticket,
            lambda s: s.escalate(
                ticket.id,
                actor=self.config.actor,
                department=dept,
                reason=answer.text,
                green=answer.checked,
            ),
            t("done.escalate", id=ticket.id, dept=label(dept)),
        )

    def action_green(self) -> None:
        ticket = self._current()
        if ticket is None:
            return
        dialog = FormDialog(
            f"{t('action.green')} #{ticket.id}", text_label=t("dialog.reason"), text_required=True
        )

        def answered(a: Answer | None) -> None:
            if a is not None:
                self._act(
                    ticket,
                    lambda s: s.set_green_channel(
                        ticket.id, actor=self.config.actor, reason=a.text
                    ),
                    t("done.green", id=ticket.id),
                )

        self.push_screen(dialog, answered)

    def action_transfer(self) -> None:
        ticket, store = self._current(), self.store
        if ticket is None or store is None:
            return
        if ticket.dispatch_count >= 2:
            question = t("warn.second_handoff", id=ticket.id, n=ticket.dispatch_count)

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._pick_transfer(ticket)

            self.push_screen(ConfirmDialog(question), confirmed)
        else:
            self._pick_transfer(ticket)

    def _pick_transfer(self, ticket: Ticket) -> None:
        store = self.store
        if store is None:
            return
        self._io(
            store.list_agents, lambda agents: self._transfer_dialog(ticket, agents), group="agents"
        )

    def _transfer_dialog(self, ticket: Ticket, agents: list[Agent]) -> None:
        choices = [
            (a.name, f"{a.display_name or a.name} ({a.name}, {label(a.role)})")
            for a in agents
            if a.name != self.config.actor
        ]
        dialog = FormDialog(
            f"{t('action.transfer')} #{ticket.id}",
            choices=choices,
            choice_label=t("dialog.to_agent"),
            text_label=t("dialog.reason"),
            text_required=True,
        )
        self.push_screen(dialog, lambda answer: self._transfer(ticket, answer))

    def _transfer(self, ticket: Ticket, answer: Answer | None) -> None:
        store = self.store
        if answer is None or answer.choice is None or store is None:
            return
        to = answer.choice

        def moved(outcome: Any) -> None:
            key = "done.transfer_pending" if outcome.request is not None else "done.transfer"
            self.notify(t(key, id=ticket.id, to=to), timeout=5)
            self.load_ticket(ticket.id)
            self.refresh_counts()

        work = lambda: store.transfer(ticket.id, actor=self.config.actor, to=to, reason=answer.text)  # noqa: E731
        self._io(
            work, moved, group=f"act-{ticket.id}", failed=lambda exc: self._refused(ticket, exc)
        )

    def action_status(self) -> None:
        marked = bool(self.queue.marked)
        ticket = None if marked else self._current()
        if ticket is None and not marked:
            return
        title = self._bulk_title() if ticket is None else f"#{ticket.id}"
        dialog = FormDialog(
            f"{t('action.status')} {title}",
            choices=[(s.value, label(s)) for s in SETTABLE_STATUSES],
            choice_label=t("dialog.status"),
        )
        self.push_screen(dialog, lambda answer: self._set_status(ticket, answer))

    def _set_status(self, ticket: Ticket | None, answer: Answer | None) -> None:
        if answer is None or answer.choice is None:
            return
        status = Status(answer.choice)
        if ticket is None:
            actor = self.config.actor
            self._bulk(label(status), lambda s, tid: s.set_status(tid, actor=actor, status=status))
            return
        self._act(
            ticket,
            lambda s: s.set_status(
                ticket.id, actor=self.config.actor, status=status, expected_version=ticket.version
            ),
            t("done.status", id=ticket.id, status=label(status)),
        )

    def action_resolve(self) -> None:
        ticket = self._current()
        if ticket is None:
            return
        try:  # the same rule the store applies: say so now, not after a code is chosen
            check_resolve(
                open_escalations=len(ticket.open_escalations),
                actor_role=self.agent.role if self.agent else Role.AGENT,
                override=False,
            )
        except CstuiError as exc:
            self.notify(str(exc), title=t("fail.title"), severity="error", timeout=6)
            return
        dialog = FormDialog(
            f"{t('action.resolve')} #{ticket.id}",
            choices=[(c.value, label(c)) for c in ResolutionCode],
            choice_label=t("dialog.code"),
        )
        self.push_screen(dialog, lambda answer: self._resolve(ticket, answer))

    def _resolve(self, ticket: Ticket, answer: Answer | None) -> None:
        if answer is None or answer.choice is None:
            return
        code = ResolutionCode(answer.choice)
        self._act(
            ticket,
            lambda s: s.resolve(
                ticket.id, actor=self.config.actor, code=code, expected_version=ticket.version
            ),
            t("done.resolve", id=ticket.id, code=label(code)),
        )

    def action_follow_up(self) -> None:
        ticket = self._current()
        if ticket is None:
            return
        tomorrow = (
            (self.clock() + timedelta(days=1)).astimezone(self.config.tz).strftime("%Y-%m-%d 10:00")
        )
        dialog = FormDialog(
            f"{t('action.follow_up')} #{ticket.id}",
            text_label=t("dialog.when"),
            initial_text=tomorrow,
            text_required=True,
        )
        self.push_screen(dialog, lambda answer: self._follow_up(ticket, answer))

    def _follow_up(self, ticket: Ticket, answer: Answer | None) -> None:
        if answer is None:
            return
        try:
            when = datetime.strptime(answer.text, "%Y-%m-%d %H:%M").replace(
                tzinfo=self.config.tz or UTC
            )
        except ValueError:
            self.notify(t("dialog.bad_time", value=answer.text), severity="error")
            return
        self._act(
            ticket,
            lambda s: s.schedule_follow_up(ticket.id, actor=self.config.actor, due=when),
            t("done.follow_up", id=ticket.id, when=answer.text),
        )

    def action_next_ticket(self) -> None:
        """Take the most urgent unassigned ticket, skipping ones that others have open."""
        store = self.store
        if store is None:
            return
        busy = {
            tid
            for tid, who in self.queue.viewers.items()
            if any(w != self.config.actor for w in who)
        }

        def take_next() -> Ticket | None:
            cursor = None
            for _ in range(5):
                page = store.list_tickets(
                    View.UNASSIGNED, actor=self.config.actor, limit=50, cursor=cursor
                )
                for candidate in page.items:
                    if candidate.id in busy:
                        continue
                    try:
                        return store.take(candidate.id, actor=self.config.actor)
                    except AlreadyOwned:
                        continue
                if page.next_cursor is None:
                    return None
                cursor = page.next_cursor
            return None

        def taken(ticket: Ticket | None) -> None:
            if ticket is None:
                self.notify(t("fail.none_next"), severity="warning")
                return
            self.notify(t("done.next", id=ticket.id), timeout=4)
            self._wanted_ticket = ticket.id
            self._ticket_loaded(ticket)
            self.load_ticket(ticket.id)  # with its thread
            self.refresh_counts()

        self._io(take_next, taken, group="next", exclusive=False)

    def action_reveal(self) -> None:
        ticket, store = self._current(), self.store
        if ticket is None or store is None:
            return

        def done(customer: Customer) -> None:
            self.notify(t("done.reveal"), timeout=4)
            self.load_customer(ticket.customer.id, revealed=customer)

        self._io(
            lambda: store.reveal_contact(
                ticket.customer.id, actor=self.config.actor, ticket_id=ticket.id
            ),
            done,
            group="reveal",
        )

    # -- panes, help ------------------------------------------------------------------------

    def action_pane(self, index: int) -> None:
        self._show_pane(index)
        target = {0: self.queue, 1: self.ticket_pane, 2: self.query_one(CustomerPane)}.get(index)
        if index == 3:
            self.query_one(KnowledgePane).focus_search()
        elif target is not None:
            target.focus()

    def _show_pane(self, index: int) -> None:
        self._set_active(index)

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

    def action_help(self) -> None:
        rows = []
        for binding in self._bindings_for_help():
            rows.append((self.get_key_display(binding), binding.description))
        self.push_screen(HelpScreen(rows))

    def _bindings_for_help(self) -> list[Binding]:
        seen: dict[str, Binding] = {}
        for _key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.description and binding.id not in seen:
                seen[binding.id or binding.action] = binding
        return list(seen.values())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every workflow and every view in the command palette (ctrl+p), with its key."""
        yield from super().get_system_commands(screen)
        for binding in app_bindings():
            if binding.id and not binding.id.startswith("pane."):
                key = self.get_key_display(binding)
                yield SystemCommand(
                    f"{binding.description} ({key})",
                    binding.description,
                    partial(self.run_action, binding.action),
                )
        for view in VIEWS:
            name = t(f"view.{view.value}")
            yield SystemCommand(f"{t('pane.queue')}: {name}", name, partial(self.switch_view, view))

    def _beat(self) -> None:
        """Presence heartbeat: others keep seeing which ticket this console has open."""
        store, ticket = self.store, self.ticket_pane.ticket
        if store is not None:
            ticket_id = ticket.id if ticket else None
            self._io(
                lambda: store.set_presence(actor=self.config.actor, ticket_id=ticket_id),
                lambda _r: None,
                group="presence",
                exclusive=True,
            )

    def on_unmount(self) -> None:
        if self.store is not None:
            with suppress(CstuiError):  # leaving anyway: the heartbeat expires by itself
                self.store.set_presence(actor=self.config.actor, ticket_id=None)
            self.store.close()
