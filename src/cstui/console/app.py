"""The agent console: four panes over one `HelpdeskStore`, every workflow on a key.

The app is built in layers, each in its own module and each using only those below it:

- `io.StoreIO`: every store call in a thread worker, errors as notifications, offline state;
- `panes.Panes`: the main screen, its panes filled from the store;
- `delivery.Delivery`: the composer's drafts and the outbox's sending;
- `workflows.Workflows`: the table of workflows and the one way to run them;
- `notices.Notices`: the agent's notifications (a count, a list, urgent ones as toasts);
- `CstuiApp`, here: start-up (the store is opened in a worker after the first paint, so the
  screen shows at once; on a local store its first rows are read before, without the
  store's SQL layer), the timers, the status bar, the keys, help and the palette.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from cstui.console.config import ConsoleConfig
from cstui.console.dialogs import HelpScreen
from cstui.console.helpkeys import help_rows, legend_rows
from cstui.console.live import LiveFeed
from cstui.console.notices import Notices
from cstui.console.panes import StatusBar
from cstui.console.queue import VIEWS
from cstui.console.render import countdown
from cstui.console.window import Fetch
from cstui.console.workflows import workflow_bindings
from cstui.domain.model import Agent
from cstui.errors import CstuiError
from cstui.i18n import label, t
from cstui.store.base import FirstLook, HelpdeskStore, View

__all__ = ["ConsoleConfig", "CstuiApp", "StatusBar", "app_bindings", "build_app"]

COUNTS_EVERY = 5.0  # seconds between reads of what moves without a write (risk, presence)
ALL_COUNTS_EVERY = 60.0  # every view counted again (writes do that as the feed reports them)
BEAT_EVERY = 30.0  # presence heartbeat; the store forgets a console silent for 90 s
OUTBOX_EVERY = 10.0  # seconds between attempts to send what a down server did not take
CLOCK_EVERY = 15.0  # countdowns move by the minute; redraw them a few times a minute


def app_bindings() -> list[Binding]:
    """The console's keys, labelled in the current language (ids are what keymaps name)."""
    return [
        # first: the footer is cut at the terminal's edge, and how to leave must always show
        Binding("q", "quit", t("action.quit"), id="quit"),
        *workflow_bindings(),
        Binding("escape", "step_out", t("action.back"), show=False, id="back"),
        Binding("slash", "filter", t("action.filter"), id="filter"),
        Binding("ctrl+f", "search", t("action.search"), id="search"),
        Binding("asterisk", "mark_all", t("action.mark_all"), show=False, id="mark-all"),
        Binding("minus", "clear_marks", t("action.clear_marks"), show=False, id="clear-marks"),
        Binding("ctrl+r", "reload", t("action.reload"), show=False, id="reload"),
        Binding("n", "notices", t("action.notices"), show=False, id="notices"),
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
    labelled = type("CstuiApp", (CstuiApp,), {"BINDINGS": app_bindings(), "__module__": __name__})
    return labelled(open_store, config, clock=clock)


def _collect_from_now() -> None:
    """End the collector's start-up pause (`cstui.__main__`), once the store is open.

    Everything made so far (modules, classes, the app's widgets) lives as long as the
    process: it is frozen out of the cyclic collector, whose full passes over it took
    60-90 ms on the UI thread, long enough to be seen as a stuck key.
    """
    gc.freeze()
    gc.enable()


def _first_look(
    look: Callable[[View, int], FirstLook | None], view: View, size: int
) -> FirstLook | None:
    """Only a head start: whatever goes wrong, the store opens as it would have."""
    try:
        return look(view, size)
    except Exception:
        return None


class CstuiApp(Notices):
    """The console: its start-up, timers, status bar, help and palette, over the layers."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "cstui"

    def __init__(
        self,
        open_store: Callable[[], HelpdeskStore],
        config: ConsoleConfig,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(open_store, config, clock or (lambda: datetime.now(UTC)))
        self._theme_problems: list[str] = []
        self._load_themes()
        self.stop_background: Callable[[], None] | None = None
        self.live: LiveFeed | None = None
        self.start_error: CstuiError | None = None  # why the app ended at start (open_or_end)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The app's own tokens from the default theme, so any theme (a minimal user theme,
        or one of Textual's) still has $vip, $sla-breached and the rest."""
        from cstui.console.themes import default_tokens

        return {**super().get_theme_variable_defaults(), **default_tokens()}

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

    # -- start-up and the timers ----------------------------------------------------------

    def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(problem, severity="warning", timeout=8)
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self._layout_for(self.size.width)
        self.queue.focus()
        self._set_active(0)
        look = self.config.first_look
        if look is None:
            self._open()
            return
        # The agent and the first rows first, then the store (SQLAlchemy is imported there).
        view, size = self.pane.view, self.queue.window.page_size
        fetch = Fetch(page=0, cursor=None, generation=self.queue.window.generation)
        self._io(lambda: _first_look(look, view, size), partial(self._looked, fetch))

    def _open(self) -> None:
        self._io(self.open_store, self._store_ready, failed=self._store_failed)

    def _looked(self, fetch: Fetch, look: FirstLook | None) -> None:
        """The first look's agent and rows are shown as the store's own would be; the store
        is opened after that frame, so the two do not compete for the GIL."""
        if look is not None and look.view is self.pane.view:
            self.agent = look.agent
            self.queue.page_loaded(fetch, look.page.items, look.page.next_cursor)
            self.pane.show_tabs()
            self._draw_status()
        self.call_after_refresh(self._open)

    def _start_background(self, start: Callable[[], Callable[[], None]]) -> None:
        self.stop_background = start()  # the thread it starts does the work

    def _store_ready(self, store: HelpdeskStore) -> None:
        self.store = store
        _collect_from_now()
        self._load_agent(store)
        if self.queue.window.started:  # the first look's rows: read again, the cursor kept
            self.queue.changed()
            if self.queue.current is not None:
                self.load_ticket(self.queue.current.id)
        else:
            self.queue.restart()
        self.refresh_counts()
        self.set_interval(COUNTS_EVERY, self.refresh_clock_counts)
        self.set_interval(ALL_COUNTS_EVERY, self.refresh_counts)
        self.set_interval(CLOCK_EVERY, self._tick)
        self.set_interval(BEAT_EVERY, self._beat)
        self.set_interval(OUTBOX_EVERY, self._flush_outbox)
        self.live = LiveFeed(store, self.live_changed)
        self.live.start()
        self._announce_drafts()
        self._flush_outbox()  # what an earlier session could not send
        if self.config.background is not None:  # after the first paint, on a store that opened
            self.call_after_refresh(self._start_background, self.config.background)

    def _store_failed(self, exc: CstuiError) -> None:
        _collect_from_now()  # offline: no first row to wait for
        if self.config.open_or_end:  # the command says why, as any other command would
            self.start_error = exc
            self.exit(return_code=exc.exit_code)
            return
        super()._store_failed(exc)

    def _load_agent(self, store: HelpdeskStore) -> None:
        self._io(lambda: store.get_agent(self.config.actor), self._agent_ready)

    def _agent_ready(self, agent: Agent) -> None:
        self.agent = agent
        self._draw_status()

    def _reconnected(self) -> None:
        """Send what waited in the outbox, and ask again for what failed while the store
        was away (the console may have opened then): who the agent is, the queue's rows."""
        self._flush_outbox()
        store = self.store
        if store is None:
            return
        if self.agent is None:
            self._load_agent(store)
        self.queue.want()

    def _tick(self) -> None:
        self.queue.tick()
        self.ticket_pane.refresh_clock()
        self._draw_status()

    def _beat(self) -> None:
        """Presence heartbeat: others keep seeing which ticket this console has open."""
        store, ticket = self.store, self.ticket_pane.ticket
        if store is not None:
            ticket_id = ticket.id if ticket else None
            self._io(
                lambda: store.set_presence(actor=self.config.actor, ticket_id=ticket_id),
                lambda _r: None,
                newest="presence",
            )

    def on_unmount(self) -> None:
        if self.live is not None:
            self.live.stop()
        if self.stop_background is not None:
            self.stop_background()  # releases the lead, so another console takes over
        if self.store is not None:
            with suppress(CstuiError):  # leaving anyway: the heartbeat expires by itself
                self.store.set_presence(actor=self.config.actor, ticket_id=None)
            self.store.close()

    # -- the status bar ---------------------------------------------------------------------

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
        # What waits on the agent comes before why the server is away: a long error is the
        # part the terminal's edge cuts, never the unsent count.
        unsent = self.outbox.count()
        if unsent:
            parts.append(t("header.unsent", n=unsent))
        badge = self.unread_label()
        if badge:  # only when there is something unread: the bar is otherwise as it was
            parts.append(badge)
        if self._offline is not None:
            parts.append(f"{t('header.offline')}: {self._offline}")
        self.query_one(StatusBar).show(" │ ".join(parts))

    # -- help and the command palette -------------------------------------------------------

    def action_help(self) -> None:
        active = [(a.node, a.binding) for a in self.screen.active_bindings.values()]
        self.push_screen(HelpScreen(help_rows(self, active), legend_rows()))

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
