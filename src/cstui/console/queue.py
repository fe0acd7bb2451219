"""The queue pane: view tabs with live counts, a filter, and a virtual list of tickets.

`QueueList` is a Line API widget: it draws only the rows on screen, asking its
`QueueWindow` for them, and posts `WantPage` when rows it should show are not in memory;
the app fetches the page in a worker. A million tickets scroll like ten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from cstui.console.render import countdown, fit, highlighted
from cstui.console.safe import plain
from cstui.console.tabs import pack_tabs
from cstui.console.window import OPENING_VIEW, Fetch, QueueWindow
from cstui.domain.display import inert, inert_spans
from cstui.domain.model import MatchField, Ticket, TicketMatch, Tier
from cstui.domain.sla import Risk, risk
from cstui.i18n import label, t
from cstui.store.base import View

VIEWS: tuple[View, ...] = tuple(View)
OWNER_WIDTH = 10  # the owner's name gets a column of its own once the pane is this wide…
WIDE_ROW = 56  # …and no narrower


class QueueList(ScrollView, can_focus=True):
    """Only the visible rows are drawn; pages are fetched as the cursor moves."""

    COMPONENT_CLASSES = {
        "queue-list--cursor",
        "queue-list--vip",
        "queue-list--green",
        "queue-list--breached",
        "queue-list--at-risk",
        "queue-list--ok",
        "queue-list--other",
        "queue-list--mine",
        "queue-list--dim",
        "queue-list--marked",
        "queue-list--match",
    }

    DEFAULT_CSS = """
    QueueList { height: 1fr; overflow-x: hidden; }
    QueueList > .queue-list--cursor { background: $block-cursor-blurred-background; }
    QueueList:focus > .queue-list--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    QueueList > .queue-list--vip { color: $vip; text-style: bold; }
    QueueList > .queue-list--green { color: $green-channel; text-style: bold; }
    QueueList > .queue-list--breached { color: $sla-breached; text-style: bold; }
    QueueList > .queue-list--at-risk { color: $sla-risk; }
    QueueList > .queue-list--ok { color: $sla-ok; }
    QueueList > .queue-list--other { color: $owned-by-other; }
    QueueList > .queue-list--mine { color: $success; }
    QueueList > .queue-list--dim { color: $text-muted; }
    QueueList > .queue-list--marked { background: $marked-row; }
    QueueList > .queue-list--match { text-style: bold underline; }
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="queue.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="queue.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="queue.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="queue.page_down"),
        Binding("home", "first", "First", show=False, id="queue.first"),
        Binding("end", "last", "Last loaded", show=False, id="queue.last"),
        Binding("enter", "open", "Open", id="queue.open"),
        Binding("space", "mark", t("action.mark"), show=False, id="mark"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    @dataclass
    class WantPage(Message):
        fetch: Fetch

    @dataclass
    class Highlighted(Message):
        ticket: Ticket

    @dataclass
    class Opened(Message):
        ticket: Ticket

    @dataclass
    class MarksChanged(Message):
        count: int

    def __init__(
        self,
        *,
        actor: str,
        clock: Callable[[], datetime],
        risk_window: timedelta,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.window = QueueWindow()
        self.actor = actor
        self.clock = clock
        self.risk_window = risk_window
        self.viewers: Mapping[int, tuple[str, ...]] = {}
        self.marked: dict[int, Ticket] = {}  # marked for a bulk action, in marking order
        self.matches: dict[int, TicketMatch] = {}  # a search's hits: where each matched
        self._styles: dict[str, Style] = {}
        self._now = clock()

    # -- data in ------------------------------------------------------------------------

    def restart(self, needle: str = "") -> None:
        """A new view, filter or reload: back to the top, the first page fetched."""
        self.window.reset(needle)
        self.matches.clear()
        self.refresh()
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self._resize()
        self.want()

    def page_loaded(self, fetch: Fetch, items: tuple[Ticket, ...], next_cursor: str | None) -> None:
        was, started = self.current, self.window.started
        followers = self._followers()
        if not self.window.loaded(fetch, items, next_cursor):
            self.want()  # (a page whose start moved while it was read is asked again)
            return
        self._resize()
        if was is not None:
            self._keep_on(was, followers)
        self.window.evict(self.cursor)
        self.refresh()
        self.want()
        # The first rows open the first ticket. A ticket that left the view (taken here or
        # elsewhere) stays open in the ticket pane: the cursor's new row opens when moved to.
        if (fetch.page == 0 and not started) or (was is None and self.current is not None):
            self._announce()

    def changed(self) -> None:
        """The store changed (another console, a process, this one): the rows in view are
        read again and move in place."""
        self.window.changed()
        self.want()

    def _followers(self, count: int = 50) -> list[int]:
        """The ids after the cursor's row: where it goes if its ticket leaves the view."""
        rows = (self.window.row(i) for i in range(self.cursor + 1, self.cursor + 1 + count))
        return [t.id for t in rows if t is not None]

    def _keep_on(self, ticket: Ticket, followers: list[int]) -> None:
        """Keep the cursor on `ticket` (or the first of `followers` still here) where rows
        came or went above it, and the list under it, so that nothing on screen jumps."""
        index = self.window.index_of(ticket.id)
        for other in followers:
            if index is not None:
                break
            index = self.window.index_of(other)
        if index is None:
            index = min(self.cursor, max(len(self.window) - 1, 0))
        if index != self.cursor:
            shift = index - self.cursor
            self.set_reactive(QueueList.cursor, index)
            self.scroll_to(y=max(self.scroll_y + shift, 0), animate=False, immediate=True)

    def page_failed(self, fetch: Fetch) -> None:
        self.window.failed(fetch)

    def update_ticket(self, ticket: Ticket) -> None:
        self.window.replace(ticket)
        self.refresh()

    def set_viewers(self, viewers: Mapping[int, tuple[str, ...]]) -> None:
        self.viewers = viewers
        self.refresh()

    def tick(self) -> None:
        """The clock moved: countdowns change."""
        self._now = self.clock()
        self.refresh()

    def want(self) -> None:
        """Ask for the page the visible rows (or the filter's scan) need next."""
        first = int(self.scroll_y)
        fetch = self.window.wanted(first, first + max(self.size.height, 1))
        if fetch is not None:
            self.post_message(self.WantPage(fetch))

    @property
    def current(self) -> Ticket | None:
        return self.window.row(self.cursor)

    # -- drawing ------------------------------------------------------------------------

    def _resize(self) -> None:
        extra = 1 if self.window.has_more else 0
        self.virtual_size = Size(self.size.width, len(self.window) + extra)

    def on_resize(self, _event: events.Resize) -> None:
        self._resize()
        self.want()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _style(self, name: str = "") -> Style:
        """A component class's style, or the list's own (""), read once until the styles
        change: `rich_style` walks every ancestor, and each row asks several times."""
        style = self._styles.get(name)
        if style is None:
            if name:
                style = self.get_component_rich_style(f"queue-list--{name}")
            else:
                style = self.rich_style
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        ticket = self.window.row(index)
        if ticket is None:
            return self._placeholder(index, width)
        segments = self._row(ticket, width)
        strip = Strip(segments).adjust_cell_length(width, self._style())
        if ticket.id in self.marked:
            marked = self._style("marked")
            strip = Strip(Segment.apply_style(strip, post_style=marked), strip.cell_length)
        if index == self.cursor:
            # A post-style: the cursor's colours win over each cell's own (a plain
            # apply_style would sit underneath them and the cursor would not show).
            cursor = self._style("cursor")
            strip = Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
        return strip

    def _placeholder(self, index: int, width: int) -> Strip:
        if (index == len(self.window) and self.window.has_more) or index < len(self.window):
            text = t("queue.loading")
        elif index == 0 and self.window.started:
            text = t("queue.empty")
        else:
            return Strip.blank(width, self._style())
        return Strip([Segment(fit(text, width), self._style("dim"))]).adjust_cell_length(width)

    def _row(self, ticket: Ticket, width: int) -> list[Segment]:
        """● ★ #id due ◆ subject [owner]: the marks first so urgency reads at a glance."""
        base = self._style()
        due = ticket.due.headline()
        level = risk(due, self._now, self.risk_window) if ticket.is_active else Risk.OK
        due_style = {Risk.BREACHED: "breached", Risk.AT_RISK: "at-risk", Risk.OK: "ok"}[level]
        mark, owner, owner_style = self._owner(ticket)
        ident = f"#{ticket.id} "
        owner_width = OWNER_WIDTH if width >= WIDE_ROW else 0
        subject_width = max(width - 2 - len(ident) - 8 - 2 - owner_width, 4)
        segments = [
            Segment("●" if ticket.green_channel else " ", self._style("green")),
            Segment("★" if ticket.customer.tier is Tier.VIP else " ", self._style("vip")),
            Segment(ident, base),
            Segment(fit(countdown(due, self._now), 7, right=True) + " ", self._style(due_style)),
            Segment(mark + " ", owner_style),
            *self._subject(ticket, subject_width),
        ]
        if owner_width:
            segments.append(Segment(" " + fit(owner, owner_width - 1), owner_style))
        return segments

    def _subject(self, ticket: Ticket, width: int) -> list[Segment]:
        """The subject; in search results, the text that matched with its words marked
        (a subject as it is, another field after its name: `order: SO…`)."""
        match = self.matches.get(ticket.id)
        if match is None:
            return [Segment(fit(ticket.subject, width), self._style())]
        prefix = "" if match.field is MatchField.SUBJECT else f"{label(match.field)}: "
        shift = len(prefix)
        text, spans = inert_spans(
            prefix + match.text, [(a + shift, b + shift) for a, b in match.highlights]
        )
        return highlighted(fit(text, width), list(spans), self._style(), self._style("match"))

    def _owner(self, ticket: Ticket) -> tuple[str, str, Style]:
        """A one-cell mark (◆ mine, ◇ someone else's, ◉ open on another screen) and a name."""
        watchers = [w for w in self.viewers.get(ticket.id, ()) if w != self.actor]
        if ticket.owner is None:
            if watchers:
                return "◉", watchers[0], self._style("other")
            return " ", "—", self._style("dim")
        if ticket.owner == self.actor:
            return "◆", ticket.owner, self._style("mine")
        return "◇", ticket.owner, self._style("other")

    # -- moving -------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        # Only the two rows whose highlight changed are drawn again (and sent to the
        # terminal); a scroll redraws the rest.
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_cursor()
        self.want()
        if old != new:
            self._announce()

    def _announce(self) -> None:
        ticket = self.current
        if ticket is not None:
            self.post_message(self.Highlighted(ticket))

    def scroll_to_cursor(self) -> None:
        top, height = int(self.scroll_y), self.scrollable_content_region.height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def _move_to(self, row: int) -> None:
        last = max(len(self.window) - 1, 0)
        self.cursor = min(max(row, 0), last)
        self.window.evict(self.cursor)

    def action_cursor(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(self.scrollable_content_region.height - 1, 1))

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.window) - 1)

    def action_open(self) -> None:
        ticket = self.current
        if ticket is not None:
            self.post_message(self.Opened(ticket))

    # -- marking rows for a bulk action -------------------------------------------------

    def action_mark(self) -> None:
        """Mark or unmark the cursor's row, then move down (space, space, space …)."""
        ticket = self.current
        if ticket is None:
            return
        if self.marked.pop(ticket.id, None) is None:
            self.marked[ticket.id] = ticket
        self._move_to(self.cursor + 1)
        self._marks_changed()

    def mark_all(self) -> int:
        """Mark every row the view has shown (all of it once scrolled or searched to the end)."""
        for ticket in self.window.rows():
            self.marked.setdefault(ticket.id, ticket)
        self._marks_changed()
        return len(self.marked)

    def clear_marks(self) -> None:
        self.marked.clear()
        self._marks_changed()

    def _marks_changed(self) -> None:
        self.refresh()
        self.post_message(self.MarksChanged(len(self.marked)))

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_y) + event.y
        if row < len(self.window):
            self._move_to(row)
            self.focus()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.want()


class Line(Static):
    """Text redrawn only when it changed: the tabs, the position line and the status bar
    are set after every page and count refresh, and an update costs a repaint (a
    re-layout too where the height may change)."""

    RELAYOUT = False  # True where new text may change the height
    MARKUP = False  # True where `text` is markup made here (any outside text escaped)

    _shown = ""

    def show(self, text: str) -> None:
        if text != self._shown:
            self._shown = text
            self.update(text if self.MARKUP else plain(text), layout=self.RELAYOUT)


class ViewTabs(Line):
    """One line of views with their counts; the current one is highlighted."""

    DEFAULT_CSS = """
    ViewTabs { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """

    RELAYOUT = True  # the tabs wrap onto more lines in a narrow pane
    MARKUP = True

    def show_views(
        self, current: View, counts: Mapping[View, int], search: str | None = None
    ) -> None:
        tabs: list[tuple[str, bool]] = []
        if search is not None:
            tabs.append((inert(t("tab.search", query=search)), True))
        for view in VIEWS:
            count = counts.get(view)
            label = t(f"tab.{view.value}") + (f" {count:,}" if count is not None else "")
            tabs.append((label, view is current and search is None))
        self._tabs = tabs
        self.show(pack_tabs(tabs, self._width()))

    _tabs: list[tuple[str, bool]] = []

    def _width(self) -> int:
        # before the first layout the pane has no size yet: one long line, packed again then
        return self.content_region.width or 10_000

    def on_resize(self) -> None:
        if self._tabs:
            self.show(pack_tabs(self._tabs, self._width()))


class QueuePane(Vertical):
    """Views, the filter line and the list."""

    DEFAULT_CSS = """
    QueuePane #queue-filter { display: none; height: 1; border: none; padding: 0 1; }
    QueuePane.filtering #queue-filter { display: block; }
    QueuePane #queue-search { display: none; height: 1; border: none; padding: 0 1; }
    QueuePane.searching #queue-search { display: block; }
    QueuePane #queue-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, queue: QueueList, id: str | None = None) -> None:
        super().__init__(id=id)
        self.queue = queue
        self.view: View = OPENING_VIEW
        self.search: str | None = None  # the results of a search show instead of the view
        self.counts: dict[View, int] = {}

    def compose(self):  # type: ignore[no-untyped-def]
        yield ViewTabs(id="view-tabs")
        yield Input(placeholder=t("queue.search_placeholder"), id="queue-search")
        yield Input(placeholder=t("queue.filter_placeholder"), id="queue-filter")
        yield self.queue
        yield Line(id="queue-status")

    def on_mount(self) -> None:
        self.border_title = t("pane.queue")
        self.show_tabs()
        # Synchronously, in the same frame as the cursor row: a message hop would show the
        # position one frame (~17 ms) later.
        self.watch(self.queue, "cursor", self._cursor_moved, init=False)

    def _cursor_moved(self, _cursor: int) -> None:
        self.show_position()

    def show_tabs(self) -> None:
        self.query_one(ViewTabs).show_views(self.view, self.counts, self.search)
        self.show_position()

    def show_position(self) -> None:
        """The one-line position under the list: cheap, so it follows every cursor move."""
        total = None if self.search is not None else self.counts.get(self.view)
        window = self.queue.window
        shown = len(window)
        if window.needle:
            status = t("queue.filter", text=window.needle) + f" · {shown:,}"
        elif total is not None:
            status = t(
                "queue.position", shown=f"{min(self.queue.cursor + 1, shown):,}", total=f"{total:,}"
            )
        elif self.search is not None:
            more = "+" if window.has_more else ""
            status = t("queue.found", shown=f"{len(window):,}{more}")
        else:
            status = ""
        if self.queue.marked:
            status += " · " + t("queue.marked", count=len(self.queue.marked))
        self.query_one("#queue-status", Line).show(status)
        subtitle = t("view.search") if self.search is not None else t(f"view.{self.view.value}")
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
