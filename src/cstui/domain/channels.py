"""What comes in from customers' mail and chat, and what goes out to them.

Channel-neutral shapes: the mail parser (`cstui.mail`) and the intake webhook turn what they
receive into an `Inbound`; the store threads it into a ticket (`domain.threading` decides
where) and queues every `Outbound` (a reply, an acknowledgement, a survey) in the same
transaction that made it; the channel workers deliver the queue. Everything here written by
a customer is data: it is stored and shown through the sanitiser, never obeyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# DeliveryState lives with the Message that carries it; it is named here as it always was.
from cstui.domain.model import Channel, DeliveryState


class DeliveryKind(StrEnum):
    REPLY = "reply"  # an agent's reply
    ACK = "ack"  # "we received your request, ticket #N" to a new sender
    SURVEY = "survey"  # the CSAT question after the ticket is resolved


class AutoKind(StrEnum):
    """Mail no person wrote: never answered, acknowledged or surveyed (no mail loops)."""

    NONE = "none"
    AUTO_REPLY = "auto_reply"  # Auto-Submitted, X-Autoreply, Precedence: bulk/junk/list …
    BOUNCE = "bounce"  # a DSN (multipart/report) or a mailer-daemon's message


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """A file that came with a message or goes with a reply. `filename` is already safe (no
    directories, no control characters); `content_type` was detected from the bytes."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment as listed with a ticket (its bytes are fetched by id)."""

    id: int
    ticket_id: int
    message_id: int | None
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a customer, from any channel, as the store threads it.

    `external_id` is the sender's id of the message (an e-mail's Message-ID, a chat
    platform's message id): the same message delivered twice is stored once. For mail,
    `references` holds In-Reply-To then References (our own Message-IDs thread replies);
    for chat, `conversation_id` is the platform's conversation.
    """

    channel: Channel
    external_id: str
    sender_address: str  # an e-mail address, or the platform's user id
    sender_name: str
    subject: str
    text: str  # for display: quoted history and signature trimmed
    full_text: str  # the whole original, kept
    received_at: datetime
    references: tuple[str, ...] = ()
    conversation_id: str | None = None
    ticket_tag: int | None = None  # "[#1234]" in the subject
    auto: AutoKind = AutoKind.NONE
    bounced_id: str | None = None  # a bounce: the Message-ID of our mail it bounces
    attachments: tuple[NewAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One queued or finished delivery, as the thread, the monitor and `channels status`
    show it."""

    id: int
    ticket_id: int
    message_id: int | None
    kind: DeliveryKind
    channel: Channel
    recipient: str
    state: DeliveryState
    attempts: int
    error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Outbound:
    """A delivery a worker has claimed, with all it needs to send it.

    `external_id` is the id we give the message (an e-mail's Message-ID): the same on every
    attempt, so a receiver that sees it twice after a crash can tell."""

    id: int
    ticket_id: int
    kind: DeliveryKind
    channel: Channel
    recipient: str
    recipient_name: str
    subject: str
    body: str
    external_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    conversation_id: str | None
    attempts: int
    attachment_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What the store did with an `Inbound`."""

    ticket_id: int | None  # None only for a bounce of nothing we sent
    message_id: int | None  # None for a duplicate or a bounce
    created: bool  # a new ticket was opened
    reopened: bool
    duplicate: bool  # the same external id was stored before: nothing was written
    linked_to: int | None = None  # a late reply to a closed ticket opened a linked one
    # an unknown sender was found by what the message named: "phone", "email" or "order"
    customer_by: str | None = None
    auto_answered: int | None = None  # the reply (or note) `[assist]` wrote on its own
