"""What the agent writes, from the composer to the store.

A reply or a note is a draft on disk while it is typed (`DraftBox`), then an outbox entry
with its Idempotency-Key before it is sent (`Outbox`). Accepted: gone from disk. The server
unreachable: kept, and sent again on every retry and as soon as the store answers (the key
makes a repeated attempt harmless). Refused by a rule: back to the draft, to be edited. A
knowledge article or template goes into the composer filled from the ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual import on, work

from cstui.console.config import ConsoleConfig
from cstui.console.drafts import DraftBox, Outbox, Outgoing
from cstui.console.knowledge import KnowledgePane
from cstui.console.panes import Panes
from cstui.console.ticket import Composer
from cstui.domain.model import MessageKind, Ticket
from cstui.domain.templates import fill, ticket_values
from cstui.errors import CstuiError, Unavailable
from cstui.i18n import t
from cstui.localfiles import read_attachments
from cstui.store.base import HelpdeskStore


class Delivery(Panes):
    """The composer's drafts and the outbox's sending."""

    def __init__(
        self,
        open_store: Callable[[], HelpdeskStore],
        config: ConsoleConfig,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(open_store, config, clock)
        self.drafts = DraftBox(config.drafts_dir, config.store_key, config.actor)
        self.outbox = Outbox(config.drafts_dir, config.store_key, config.actor)
        self._delivering: set[str] = set()  # outbox keys with a send under way

    def _announce_drafts(self) -> None:
        """Drafts left from an earlier session: say they are there."""
        left = self.drafts.pending()
        if left:
            ids = ", ".join(f"#{tid}" for tid, _kind in left[:5])
            self.notify(f"{t('compose.draft_restored')}: {ids}", timeout=6)

    # -- the composer and its draft ------------------------------------------------------------

    def compose_message(self, kind: MessageKind) -> None:
        """The composer on the open ticket, with the draft left for it, if any."""
        ticket = self._current()
        if ticket is None:
            return
        self._set_active(1)
        draft = self.drafts.load(ticket.id, kind)
        self.ticket_pane.composer.open(kind, draft)
        if draft:
            self.notify(t("compose.draft_restored"), timeout=3)

    @on(Composer.Edited)
    def _draft_changed(self, message: Composer.Edited) -> None:
        ticket = self.ticket_pane.ticket
        if ticket is None:
            return
        self.drafts.stage(ticket.id, message.kind, message.text)
        self._save_draft(ticket.id, message.kind)

    @work(thread=True, group="draft", exit_on_error=False, description="draft")
    def _save_draft(self, ticket_id: int, kind: MessageKind) -> None:
        self.drafts.save_staged(ticket_id, kind)

    @on(KnowledgePane.Insert)
    def _insert(self, message: KnowledgePane.Insert) -> None:
        ticket, store = self._current(), self.store
        if ticket is None or store is None:
            return
        self._io(
            lambda: store.get_article(message.article_id),
            lambda a: self._insert_article(ticket, a),
        )

    def _insert_article(self, ticket: Ticket, article: Any) -> None:
        name = self.agent.display_name or self.agent.name if self.agent else self.config.actor
        values = ticket_values(ticket, agent_name=name, tz=self.config.tz, lang=article.lang.value)  # type: ignore[arg-type]
        filled = fill(article.body, values)
        composer = self.ticket_pane.composer
        if not composer.is_open:
            self.compose_message(MessageKind.REPLY)
        composer.insert(filled.text)
        self.notify(t("kb.inserted", title=article.title), timeout=3)
        if filled.missing:
            self.notify(
                t("compose.missing", names=", ".join(filled.missing)), severity="warning", timeout=6
            )
        self.query_one(KnowledgePane).templates_only = False

    # -- sending -------------------------------------------------------------------------------

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
        self._deliver(self.outbox.put(ticket.id, message.kind, text, message.files))

    def _deliver(self, item: Outgoing, *, quiet: bool = False) -> None:
        """Send one outbox message. Accepted: gone from disk. Server unreachable: kept, and
        sent again on the next retry. Refused by a rule: back to the draft."""
        store = self.store
        if store is None or item.key in self._delivering:
            return
        self._delivering.add(item.key)
        done_key = "done.reply" if item.kind is MessageKind.REPLY else "done.note"

        def send() -> Any:
            # Read here, in the worker, at each attempt: a file gone or grown past the
            # limit meanwhile is refused (BadInput) and the message goes back to its draft.
            files = read_attachments(
                item.files, max_bytes=self.config.attachment_max_bytes, what="attach"
            )
            return store.add_message(
                item.ticket_id,
                actor=self.config.actor,
                kind=item.kind,
                text=item.text,
                idempotency_key=item.key,
                attachments=files,
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

        self._io(send, sent, failed=failed)

    def _flush_outbox(self) -> None:
        """Send again what the store did not take (oldest first)."""
        for item in self.outbox.pending():
            self._deliver(item, quiet=True)

    def _close_composer(self, item: Outgoing) -> None:
        shown_ticket, composer = self.ticket_pane.ticket, self.ticket_pane.composer
        on_this = shown_ticket is not None and shown_ticket.id == item.ticket_id
        if on_this and composer.is_open and composer.kind is item.kind:
            composer.close_sent()

    def _after_write(self, ticket_id: int) -> None:
        if self.ticket_pane.ticket is not None and self.ticket_pane.ticket.id == ticket_id:
            self.load_ticket(ticket_id)
        self.refresh_counts()
        self._draw_status()
