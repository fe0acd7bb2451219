"""The channel methods of `SqlStore` (a mixin, so the facade stays one screenful a topic):
each one transaction through the facade's `_writing` / `_reading`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from cstui.domain.channels import (
    Attachment,
    Delivery,
    DeliveryState,
    Inbound,
    IngestOutcome,
    Outbound,
)
from cstui.domain.model import Channel
from cstui.errors import Conflict
from cstui.store import attachments, outbox
from cstui.store.channels import cursors
from cstui.store.channels import ingest as ingesting
from cstui.store.channels.ingest import Ingested

if TYPE_CHECKING:
    from cstui.assist.ranking import AnswerIndex
    from cstui.domain.rules import Rules
    from cstui.store.tx import Tx

P = ParamSpec("P")
T = TypeVar("T")


class ChannelMethods:
    """`ChannelStore` and the channel part of `HelpdeskStore`, for `SqlStore`."""

    if TYPE_CHECKING:

        def _writing(
            self, fn: Callable[Concatenate[Tx, P], T], /, *args: P.args, **kwargs: P.kwargs
        ) -> T: ...

        def _reading(
            self, fn: Callable[Concatenate[Tx, P], T], /, *args: P.args, **kwargs: P.kwargs
        ) -> T: ...

        def _answers(self) -> AnswerIndex: ...

        rules: Rules

    def _auto_answers(self) -> AnswerIndex | None:
        """The suggestion index when `[assist]` answers some questions on its own."""
        return self._answers() if self.rules.assist.categories else None

    # -- the console's and the server's ---------------------------------------------------

    def attachments(self, ticket_id: int) -> list[Attachment]:
        return self._reading(attachments.attachments, ticket_id=ticket_id)

    def attachment(self, attachment_id: int) -> tuple[Attachment, bytes]:
        return self._reading(attachments.attachment, attachment_id=attachment_id)

    def deliveries(
        self,
        *,
        ticket_id: int | None = None,
        state: DeliveryState | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        return self._reading(outbox.deliveries, ticket_id=ticket_id, state=state, limit=limit)

    def delivery_counts(self) -> dict[DeliveryState, int]:
        """Deliveries per state (`cstui channels status`, the monitor)."""
        return self._reading(outbox.delivery_counts)

    # -- the channel workers' -------------------------------------------------------------

    def ingest(self, message: Inbound) -> IngestOutcome:
        """Store a customer's message once and thread it (`store/channels/ingest.py`)."""
        return self.ingest_traced(message).outcome

    def ingest_traced(self, message: Inbound) -> Ingested:
        """`ingest`, with the threading decision it took."""
        answers = self._auto_answers()
        try:
            return self._writing(ingesting.ingest, message=message, answers=answers)
        except Conflict:
            # Another process stored the same message at the same moment (its unique id
            # refused ours): once more, it is now a duplicate.
            return self._writing(ingesting.ingest, message=message, answers=answers)

    def ingest_batch(self, messages: Iterable[Inbound]) -> list[Ingested]:
        """Several messages in one transaction: all stored or none (a bulk load; a crash
        loses only the uncommitted batch, which re-running stores once)."""
        return self._writing(_ingest_all, messages=list(messages), answers=self._auto_answers())

    def claim_deliveries(
        self, *, channels: Collection[Channel], limit: int, lease: timedelta
    ) -> list[Outbound]:
        return self._writing(outbox.claim_deliveries, channels=channels, limit=limit, lease=lease)

    def delivery_sent(self, delivery_id: int) -> None:
        self._writing(outbox.delivery_sent, delivery_id=delivery_id)

    def delivery_failed(
        self, delivery_id: int, *, error: str, retry_at: datetime | None
    ) -> DeliveryState:
        return self._writing(
            outbox.delivery_failed, delivery_id=delivery_id, error=error, retry_at=retry_at
        )

    def mailbox_cursor(self, name: str) -> tuple[int, int] | None:
        return self._reading(cursors.mailbox_cursor, name=name)

    def save_mailbox_cursor(self, name: str, *, uidvalidity: int, last_uid: int) -> None:
        self._writing(
            cursors.save_mailbox_cursor, name=name, uidvalidity=uidvalidity, last_uid=last_uid
        )


def _ingest_all(tx: Tx, *, messages: list[Inbound], answers: AnswerIndex | None) -> list[Ingested]:
    return [ingesting.ingest(tx, message=m, answers=answers) for m in messages]
