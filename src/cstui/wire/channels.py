"""What channels add to the wire: a ticket's attachments, its deliveries, an intake's answer."""

from __future__ import annotations

from pydantic import Field

from cstui.domain.channels import Attachment, Delivery, DeliveryKind, DeliveryState, IngestOutcome
from cstui.domain.model import Channel
from cstui.domain.privacy import mask_recipient
from cstui.wire.base import Json, Public, Stamp, iso


class AttachmentPublic(Public[Attachment]):
    """A file kept with a ticket; its bytes are at `GET /attachments/{id}`."""

    id: int
    ticket_id: int
    message_id: int | None = Field(description="the message it came or went with")
    filename: str = Field(description="safe: no directories, no control characters")
    content_type: str = Field(description="detected from the bytes, not from the name")
    size: int = Field(description="bytes")
    sha256: str
    created_at: Stamp

    @classmethod
    def encode(cls, a: Attachment) -> Json:
        return {
            "id": a.id,
            "ticket_id": a.ticket_id,
            "message_id": a.message_id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "created_at": a.created_at.isoformat(),
        }

    def to_domain(self) -> Attachment:
        return Attachment(
            id=self.id,
            ticket_id=self.ticket_id,
            message_id=self.message_id,
            filename=self.filename,
            content_type=self.content_type,
            size=self.size,
            sha256=self.sha256,
            created_at=self.created_at,
        )


class DeliveryPublic(Public[Delivery]):
    """A reply, acknowledgement or survey on its way to the customer, or its fate. The
    recipient is masked: the customer's whole contact comes only from the audited reveal."""

    id: int
    ticket_id: int
    message_id: int | None = Field(description="the reply it delivers (none for ack/survey)")
    kind: DeliveryKind
    channel: Channel
    recipient: str = Field(description="masked, like a customer's contact elsewhere")
    state: DeliveryState
    attempts: int
    error: str | None = Field(description="why it failed (or the last attempt's error)")
    created_at: Stamp
    sent_at: Stamp | None

    @classmethod
    def encode(cls, d: Delivery) -> Json:
        return {
            "id": d.id,
            "ticket_id": d.ticket_id,
            "message_id": d.message_id,
            "kind": d.kind.value,
            "channel": d.channel.value,
            "recipient": mask_recipient(d.recipient),
            "state": d.state.value,
            "attempts": d.attempts,
            "error": d.error,
            "created_at": d.created_at.isoformat(),
            "sent_at": iso(d.sent_at),
        }

    def to_domain(self) -> Delivery:
        return Delivery(
            id=self.id,
            ticket_id=self.ticket_id,
            message_id=self.message_id,
            kind=self.kind,
            channel=self.channel,
            recipient=self.recipient,
            state=self.state,
            attempts=self.attempts,
            error=self.error,
            created_at=self.created_at,
            sent_at=self.sent_at,
        )


class IngestPublic(Public[IngestOutcome]):
    """What the intake did with a message; the same answer when it is sent again."""

    ticket_id: int | None
    message_id: int | None = Field(description="the stored message (null: a duplicate)")
    created: bool = Field(description="a new ticket was opened")
    reopened: bool
    duplicate: bool = Field(description="this message id was received before: nothing written")
    linked_to: int | None = Field(description="the closed ticket a new one was linked to")
    customer_by: str | None = Field(
        default=None, description="an unknown sender found by the phone | email | order named"
    )
    auto_answered: int | None = Field(
        default=None, description="the reply (or, in review mode, note) `[assist]` wrote"
    )

    @classmethod
    def encode(cls, o: IngestOutcome) -> Json:
        return {
            "ticket_id": o.ticket_id,
            "message_id": o.message_id,
            "created": o.created,
            "reopened": o.reopened,
            "duplicate": o.duplicate,
            "linked_to": o.linked_to,
            "customer_by": o.customer_by,
            "auto_answered": o.auto_answered,
        }

    def to_domain(self) -> IngestOutcome:
        return IngestOutcome(
            ticket_id=self.ticket_id,
            message_id=self.message_id,
            created=self.created,
            reopened=self.reopened,
            duplicate=self.duplicate,
            linked_to=self.linked_to,
            customer_by=self.customer_by,
            auto_answered=self.auto_answered,
        )
