"""The agent's notifications (what the automations told them): a count in the status bar,
a list on `n`, and a toast for an urgent one (green channel, breaches) when it first arrives.

The unread feed is read in a worker with the counts, on the same timer; a notification is
read once the agent opens its ticket from the list, or marks them all read there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from cstui.console.dialogs import DIALOG_CSS
from cstui.console.safe import assemble
from cstui.console.workflows import Workflows
from cstui.i18n import t
from cstui.notice_text import notice_text

if TYPE_CHECKING:  # the automations' models load with the store, after the first frame
    from cstui.domain.automations import Notification

FEED_LIMIT = 50  # the unread entries read per refresh; more shows as "50+"
TOASTS_PER_REFRESH = 3  # a backlog of urgent ones at start-up is said in a few toasts, not 40

# The list's answer: the notifications to mark read, and the ticket to open (if any).
Choice = tuple[list[int], int | None] | None


class NoticesScreen(ModalScreen[Choice]):
    """The agent's notifications, newest first; unread ones marked."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="NoticesScreen")
        + """
    NoticesScreen > Vertical { width: 88; }
    NoticesScreen OptionList { max-height: 20; }
    """
    )
    BINDINGS = [
        Binding("escape,n", "close", "Close", id="notices.close"),
        Binding("a", "all_read", t("action.notices_read"), id="notices.all_read"),
    ]

    def __init__(self, notices: list[Notification], tz: Any) -> None:
        super().__init__()
        self.notices = notices
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("notices.title"), classes="dialog-title")
            if self.notices:
                yield OptionList(*(self._option(n) for n in self.notices))
            else:
                yield Static(t("notices.empty"))
            yield Static(t("notices.hint"), classes="dialog-hint")

    def _option(self, n: Notification) -> Option:
        when = n.created_at.astimezone(self.tz).strftime("%m-%d %H:%M")
        mark = ("● ", "bold $warning") if n.read_at is None else ("  ", "")
        style = "bold $error" if n.urgent else ""
        return Option(assemble(mark, (when + "  ", "dim"), (notice_text(n), style)), id=str(n.id))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        chosen = next(n for n in self.notices if str(n.id) == event.option.id)
        self.dismiss(([chosen.id], chosen.ticket_id))

    def action_all_read(self) -> None:
        self.dismiss(([n.id for n in self.notices if n.read_at is None], None))

    def action_close(self) -> None:
        self.dismiss(None)


class Notices(Workflows):
    """The feed's state and its keys, over the workflows (the app draws the status bar)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unread: list[Notification] = []
        self._toasted: set[int] = set()  # urgent ones already shown as a toast

    def refresh_counts(self) -> None:
        super().refresh_counts()
        self.refresh_notices()

    def refresh_clock_counts(self) -> None:
        super().refresh_clock_counts()
        self.refresh_notices()  # a sweep's notice is written without a ticket's event

    def refresh_notices(self) -> None:
        store, actor = self.store, self.config.actor
        if store is None:
            return
        self._io(
            lambda: store.notifications(actor=actor, unread_only=True, limit=FEED_LIMIT),
            self._notices_ready,
            failed=lambda _exc: None,  # the counts on the same timer say what is wrong
            newest="notices",
        )

    def _notices_ready(self, unread: list[Notification]) -> None:
        self.unread = unread
        fresh = [n for n in unread if n.urgent and n.id not in self._toasted]
        self._toasted.update(n.id for n in fresh)
        for n in reversed(fresh[:TOASTS_PER_REFRESH]):  # oldest first, so the newest is on top
            self.notify(notice_text(n), title=t("notices.urgent"), severity="warning", timeout=10)
        self._draw_status()

    def unread_label(self) -> str:
        """The status bar's badge; empty when nothing is unread."""
        n = len(self.unread)
        if not n:
            return ""
        return t("header.notices", n=f"{n}+" if n >= FEED_LIMIT else str(n))

    def action_notices(self) -> None:
        store, actor = self.store, self.config.actor
        if store is None:
            return
        self._io(lambda: store.notifications(actor=actor, limit=FEED_LIMIT), self._show_list)

    def _show_list(self, found: list[Notification]) -> None:
        self.push_screen(NoticesScreen(found, self.config.tz), self._from_list)

    def _from_list(self, choice: Choice) -> None:
        store, actor = self.store, self.config.actor
        if store is None or choice is None:
            return
        ids, ticket_id = choice
        if ticket_id is not None:
            self.load_ticket(ticket_id)
        self._io(lambda: store.mark_read(actor=actor, ids=ids), lambda _n: self.refresh_notices())
