"""The ticket pane: fields, every SLA deadline, escalations, the thread, and the composer.

Customer messages, replies and internal notes are told apart by colour and by a label, so
a note is never mistaken for something the customer saw. The composer saves what is typed
as a draft on every change (see `drafts.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from textual import on
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.lazy import Lazy
from textual.message import Message as TextualMessage
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from cstui.assist.answer import ASSISTANT
from cstui.console.render import countdown, local
from cstui.console.safe import assemble, plain
from cstui.domain.channels import Attachment, Delivery, DeliveryState
from cstui.domain.deadlines import Deadline, DeadlineName, DueState, ticket_deadlines
from cstui.domain.display import inert
from cstui.domain.files import human_size
from cstui.domain.model import Message, MessageKind, Ticket
from cstui.domain.sla import Risk, risk
from cstui.i18n import label, t

RISK_STYLE = {Risk.BREACHED: "$sla-breached bold", Risk.AT_RISK: "$sla-risk", Risk.OK: "$sla-ok"}
KIND_STYLE = {
    MessageKind.CUSTOMER: "$customer-message",
    MessageKind.REPLY: "$agent-reply",
    MessageKind.NOTE: "$internal-note italic",
}
KIND_LABEL = {
    MessageKind.CUSTOMER: "msg.customer",
    MessageKind.REPLY: "msg.reply",
    MessageKind.NOTE: "msg.note",
}


def head(tk: Ticket, tz: tzinfo | None) -> Content:
    """Subject, state fields, owner (and how many owners it has had) and order."""
    parts: list[str | tuple[str, str]] = []
    if tk.green_channel:
        parts += [(f" {t('ticket.green')} ", "reverse $green-channel bold"), "\n"]
    parts += [(f"#{tk.id} ", "bold"), (tk.subject, "bold"), "\n"]
    fields = [label(tk.status), label(tk.priority), label(tk.channel), label(tk.category)]
    parts += [" · ".join(fields), "\n"]
    parts += [(t("ticket.owner") + ": ", "$text-muted")]
    parts.append((tk.owner, "bold") if tk.owner else (t("ticket.unowned"), "$text-muted"))
    if tk.dispatch_count:
        parts += ["  ", (t("ticket.owners_had", n=tk.dispatch_count), "$text-muted")]
    parts.append("\n")
    parts += _order_line(tk) + _triage_line(tk) + _extras(tk, tz)
    return assemble(*parts)


def _triage_line(tk: Ticket) -> list[str | tuple[str, str]]:
    """What triage read the latest words as, and the first reason (the words that said so)."""
    tr = tk.triage
    if tr is None:
        return []
    bits = [label(tr.category), label(tr.priority), t("ticket.risk", risk=tr.risk)]
    if tr.green:
        bits.append(t("kb.green"))
    why = f"  ({_one_line(tr.reasons[0], 60)})" if tr.reasons else ""
    muted = "$text-muted"
    return [(t("ticket.triage") + ": ", muted), " · ".join(bits), (why, muted), "\n"]


def _order_line(tk: Ticket) -> list[str | tuple[str, str]]:
    if tk.order is None:
        return [(t("ticket.no_order"), "$text-muted"), "\n"]
    bits = [tk.order.number, tk.order.logistics_status or "", tk.order.tracking_no or ""]
    return [(t("ticket.order") + ": ", "$text-muted"), " · ".join(b for b in bits if b), "\n"]


def _extras(tk: Ticket, tz: tzinfo | None) -> list[str | tuple[str, str]]:
    out: list[str | tuple[str, str]] = []
    if tk.complaint_cause is not None:
        out += [(t("ticket.complaint", cause=label(tk.complaint_cause)), "$sla-breached"), "  "]
    if tk.second_complaint:
        out += [(t("ticket.second_complaint"), "$sla-breached bold"), "  "]
    if tk.follow_up_due is not None:
        out += [(t("ticket.follow_up", when=local(tk.follow_up_due, tz)), "$sla-risk"), "  "]
    if tk.resolution_code is not None:
        out += [(t("ticket.resolution", code=label(tk.resolution_code)), "$success"), "  "]
    if tk.pending_transfer is not None:
        out += [(t("ticket.pending_transfer", to=tk.pending_transfer), "$sla-risk bold"), "\n"]
    if tk.links:
        out += [t("ticket.links", ids=", ".join(f"#{i}" for i in tk.links)), "  "]
    if tk.merged_into is not None:
        out += [t("ticket.merged_into", id=tk.merged_into)]
    return [*out, "\n"] if out else []


_DEADLINE_KEY = {
    DeadlineName.GREEN: "ticket.green_due",
    DeadlineName.FIRST_RESPONSE: "ticket.first_response",
    DeadlineName.NEXT_RESPONSE: "ticket.next_response",
    DeadlineName.RESOLUTION: "ticket.resolve_by",
}


def deadlines(tk: Ticket, now: datetime, window: timedelta, tz: tzinfo | None) -> Content:
    """Each deadline kept separately, with a countdown coloured by its risk; on the green
    channel its own 2-hour deadline comes first."""
    parts: list[str | tuple[str, str]] = [(t("ticket.sla"), "bold"), "\n"]
    for d in ticket_deadlines(tk):
        parts.append((f"  {t(_DEADLINE_KEY[d.name])}: ", "$text-muted"))
        parts.append(_deadline(d, now, window, tz))
        parts.append("\n")
    return assemble(*parts)


def _deadline(d: Deadline, now: datetime, window: timedelta, tz: tzinfo | None) -> tuple[str, str]:
    if d.state is DueState.MET and d.at is not None:
        return t("due.met", when=local(d.at, tz)), "$sla-ok"
    if d.state is DueState.PAUSED:
        return t("due.paused"), "$text-muted"
    if d.at is None:
        return t("due.none"), ""
    left = countdown(d.at, now)
    text = t("due.over", left=left[1:]) if left.startswith("-") else t("due.in", left=left)
    level = risk(d.at, now, window)
    style = RISK_STYLE[level]
    if d.name is DeadlineName.GREEN and level is not Risk.BREACHED:
        style = "$green-channel bold"
    return f"{text} ({local(d.at, tz)})", style


def escalations(tk: Ticket, now: datetime, tz: tzinfo | None) -> Content:
    if not tk.escalations:
        return Content("")
    parts: list[str | tuple[str, str]] = [(t("ticket.escalations"), "bold"), "\n"]
    for esc in tk.escalations:
        style = "$sla-breached" if esc.is_open and esc.due_at <= now else ""
        mark = "● " if esc.green else "  "
        line = t(
            "ticket.escalation_line",
            dept=label(esc.department),
            state=label(esc.state),
            due=local(esc.due_at, tz),
        )
        left = countdown(esc.due_at, now) if esc.is_open else ""
        parts += [(mark, "$green-channel"), (line + (f" ({left})" if left else ""), style), "\n"]
        parts += [(f"    {esc.reason}", "$text-muted"), "\n"]
    return assemble(*parts)


@dataclass(frozen=True)
class TicketExtras:
    """What channels add to a ticket's view: its files and its deliveries (loaded with it)."""

    attachments: tuple[Attachment, ...] = ()
    deliveries: tuple[Delivery, ...] = ()


def thread(
    messages: tuple[Message, ...], tz: tzinfo | None, extras: TicketExtras | None = None
) -> Content:
    """The messages, oldest first; under each reply, how its delivery stands; then the
    acknowledgements and surveys sent on the ticket."""
    extras = extras or TicketExtras()
    by_message = {d.message_id: d for d in reversed(extras.deliveries) if d.message_id}
    files: dict[int, int] = {}
    for a in extras.attachments:
        if a.message_id is not None:
            files[a.message_id] = files.get(a.message_id, 0) + 1
    parts: list[str | tuple[str, str]] = [(t("ticket.thread"), "bold"), "\n"]
    for m in messages:
        style = KIND_STYLE[m.kind]
        who = t(KIND_LABEL[m.kind])
        heading = f"▌{who} · {m.author} · {label(m.channel)} · {local(m.created_at, tz)}"
        parts += [(heading, f"{style} bold"), *_automatic(m), "\n", (m.body, style), "\n"]
        if m.id in files:
            parts += [(f"  + {t('ticket.files_of_message', n=files[m.id])}", "$text-muted"), "\n"]
        if m.id in by_message:
            parts += [("  → ", "$text-muted"), delivery_state(by_message[m.id], tz), "\n"]
        parts.append("\n")
    for d in extras.deliveries:
        if d.message_id is None:
            name = t(f"delivery.kind.{d.kind.value}")
            parts += [(f"{name} → ", "$text-muted"), delivery_state(d, tz), "\n"]
    return assemble(*parts)


def _automatic(m: Message) -> list[str | tuple[str, str]]:
    """The mark on an answer the assistant wrote (no agent bears its name): sent on its
    own, or, in review mode, a note waiting for the owner to send."""
    if m.kind is MessageKind.CUSTOMER or m.author != ASSISTANT:
        return []
    key = "msg.automatic" if m.kind is MessageKind.REPLY else "msg.automatic_draft"
    return ["  ", (f"[{t(key)}]", "$accent bold")]


def delivery_state(d: Delivery, tz: tzinfo | None) -> tuple[str, str]:
    """Queued, sent (when) or failed (why), as the thread shows it."""
    if d.state is DeliveryState.SENT:
        return t("delivery.sent", when=local(d.sent_at, tz)), "$success"
    if d.state is DeliveryState.FAILED:
        return t("delivery.failed", error=_one_line(d.error or "?")), "$error bold"
    if d.error:
        return t("delivery.queued_retry", n=d.attempts, error=_one_line(d.error)), "$sla-risk"
    return t("delivery.queued"), "$text-muted"


def _one_line(text: str, limit: int = 160) -> str:
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


def attachments(extras: TicketExtras) -> Content:
    """The ticket's files: name, size and type (names are the customer's: made inert)."""
    if not extras.attachments:
        return Content("")
    parts: list[str | tuple[str, str]] = [
        (t("ticket.files"), "bold"),
        (f"  ({t('ticket.files_hint')})", "$text-muted"),
        "\n",
    ]
    for n, a in enumerate(extras.attachments, 1):
        parts += [f"  {n}. ", (a.filename, "bold")]
        parts += [(f" · {human_size(a.size)} · {a.content_type}", "$text-muted"), "\n"]
    return assemble(*parts)


def is_text_box(widget: Widget) -> bool:
    """A widget that types the keys it is given."""
    return isinstance(widget, Input | TextArea)


class Composer(Vertical):
    """A reply or an internal note being written; ctrl+s sends, esc hides (kept as draft)."""

    DEFAULT_CSS = """
    Composer { height: 13; display: none; border-top: solid $primary; }
    Composer.open { display: block; }
    Composer.note { border-top: solid $internal-note; }
    Composer #composer-title { height: 1; color: $text-muted; }
    Composer.note #composer-title { color: $internal-note; }
    Composer TextArea { height: 1fr; }
    Composer #composer-files { height: auto; max-height: 2; color: $text-muted; }
    """

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="compose.send", priority=True),
        Binding("escape", "close", "Close", id="compose.close"),
    ]

    @dataclass
    class Send(TextualMessage):
        kind: MessageKind
        text: str
        files: tuple[str, ...] = ()  # paths the agent attached: read when it is sent

    @dataclass
    class Edited(TextualMessage):
        kind: MessageKind
        text: str

    def __init__(self) -> None:
        super().__init__(id="composer")
        self.kind = MessageKind.REPLY
        self.files: list[str] = []
        self.came_from: Widget | None = None  # where the focus was before writing

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="composer-title")
        yield TextArea(id="composer-text", soft_wrap=True, show_line_numbers=False)
        files = Static(id="composer-files")
        files.display = False
        yield files
        yield Input(placeholder=t("compose.attach"), id="composer-attach", compact=True)

    @property
    def area(self) -> TextArea:
        return self.query_one(TextArea)

    def open(self, kind: MessageKind, text: str) -> None:
        """Show the composer with `text` (a draft). What the composer holds is inert: an
        article inserted from the knowledge base cannot draw on the terminal, nor send a
        customer a control sequence."""
        self.kind = kind
        self.set_class(kind is MessageKind.NOTE, "note")
        key = "compose.note" if kind is MessageKind.NOTE else "compose.reply"
        self.query_one("#composer-title", Static).update(f"{t(key)} — {t('compose.hint')}")
        with self.area.prevent(TextArea.Changed):
            self.area.load_text(inert(text))
        self.files = []
        self._show_files()
        focused = self.app.focused
        if focused is not None and self not in focused.ancestors:
            self.came_from = focused
        self.add_class("open")
        self.area.focus()
        self.area.move_cursor(self.area.document.end)

    def insert(self, text: str) -> None:
        """Put an article or a filled template at the cursor."""
        self.area.insert(inert(text))
        self.area.focus()

    @property
    def is_open(self) -> bool:
        return self.has_class("open")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(self.Edited(self.kind, self.area.text))

    def action_send(self) -> None:
        self.post_message(self.Send(self.kind, self.area.text, tuple(self.files)))

    @on(Input.Submitted, "#composer-attach")
    def _add_file(self, event: Input.Submitted) -> None:
        """A path typed into the attach field: kept to be read when the message is sent
        (where it is checked against the limit); a path that is no file is said now."""
        event.stop()
        path = event.value.strip()
        if not path:
            self.area.focus()
            return
        if not Path(path).expanduser().is_file():
            self.app.notify(t("compose.not_a_file", path=path), severity="warning")
            return
        if path not in self.files:
            self.files.append(path)
        event.input.clear()
        self._show_files()

    def _show_files(self) -> None:
        line = self.query_one("#composer-files", Static)
        names = ", ".join(Path(p).name for p in self.files)
        line.update(plain(t("compose.attached", names=names)))
        line.display = bool(self.files)

    def action_close(self) -> None:
        """Escape: hidden (what it holds stays a draft); the focus stays on the ticket."""
        self.remove_class("open")
        self.screen.query_one("#ticket-body").focus()

    def close_sent(self) -> None:
        """Sent: hidden, and the focus back where the agent was before writing (never into
        a text box: the next keys act, they are not typed)."""
        self.remove_class("open")
        back, self.came_from = self.came_from, None
        if back is not None and back.is_attached and back.focusable and not is_text_box(back):
            back.focus()
        else:
            self.screen.query_one("#ticket-body").focus()


class TicketPane(Vertical):
    """The opened ticket; empty until one is opened."""

    DEFAULT_CSS = """
    TicketPane #ticket-body { height: 1fr; padding: 0 1; }
    TicketPane #ticket-body Static { margin-bottom: 1; }
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        window: timedelta,
        tz: tzinfo | None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.ticket: Ticket | None = None
        self.extras = TicketExtras()
        self.clock, self.window, self.tz = clock, window, tz

    def compose(self):  # type: ignore[no-untyped-def]
        with VerticalScroll(id="ticket-body"):
            yield Static(t("ticket.none"), id="ticket-head")
            yield Static(id="ticket-sla")
            yield Static(id="ticket-escalations")
            files = Static(id="ticket-files")
            files.display = False
            yield files
            yield Static(id="ticket-thread")
        yield Lazy(Composer())

    def on_mount(self) -> None:
        self.border_title = t("pane.ticket")

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    def show(self, ticket: Ticket, extras: TicketExtras | None = None) -> None:
        """`ticket` with its files and deliveries (`extras`; None: the ones shown for it
        before, if it is the same ticket)."""
        same = self.ticket is not None and self.ticket.id == ticket.id
        self.ticket = ticket
        if extras is not None or not same:
            self.extras = extras or TicketExtras()
        self.refresh_clock()
        self.query_one("#ticket-head", Static).update(head(ticket, self.tz))
        files = self.query_one("#ticket-files", Static)
        files.update(attachments(self.extras))
        files.display = bool(self.extras.attachments)  # no empty line without files
        self.query_one("#ticket-thread", Static).update(
            thread(ticket.messages, self.tz, self.extras)
        )
        self.border_title = f"{t('pane.ticket')} #{ticket.id}"
        if not same:
            self.query_one("#ticket-body", VerticalScroll).scroll_home(animate=False)

    def refresh_clock(self) -> None:
        if self.ticket is None:
            return
        now, tk = self.clock(), self.ticket
        self.query_one("#ticket-sla", Static).update(deadlines(tk, now, self.window, self.tz))
        self.query_one("#ticket-escalations", Static).update(escalations(tk, now, self.tz))
