"""A ticket's thread: agents' replies and internal notes, and the customer writing again
(which resumes a paused clock or reopens a finished ticket: `domain.lifecycle`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from cstui.assist.triage import triage
from cstui.domain import lifecycle, ownership, sla
from cstui.domain.channels import NewAttachment
from cstui.domain.model import (
    Channel,
    EventKind,
    Message,
    MessageKind,
    Priority,
    Role,
    Status,
    Tier,
)
from cstui.errors import Conflict
from cstui.store import attachments as files
from cstui.store import outbox, ticket_index
from cstui.store import rows as R
from cstui.store.schema import MESSAGES
from cstui.store.tx import Tx


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a customer's message came from, as its channel names it (`store/channels`)."""

    external_id: str | None = None  # unique per channel: the same message is stored once
    address: str | None = None  # the sender's address or platform user id
    full_body: str | None = None  # the untrimmed original
    auto: str | None = None  # an `AutoKind` other than none: no person wrote it

    def columns(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "address": self.address,
            "full_body": self.full_body,
            "auto": self.auto,
        }


NO_ORIGIN = Origin()


def add_message(
    tx: Tx,
    *,
    ticket_id: int,
    actor: str,
    kind: MessageKind,
    text: str,
    expected_version: int | None,
    idempotency_key: str | None,
    attachments: Sequence[NewAttachment] = (),
) -> Message:
    """A reply (the owner's, or a supervisor's: it answers the customer and restarts the
    next-response clock) or an internal note (any colleague's), with its files. A reply to a
    customer reachable on the ticket's channel is queued for delivery in this transaction."""
    body = text.strip()  # checked by `AddMessage.check`: not empty, not the customer's
    files.check_sizes(tx, attachments)
    now = tx.clock()
    if idempotency_key and (done := _by_idempotency_key(tx, idempotency_key)):
        return done
    agent = tx.agent(actor)
    row = tx.locked_ticket(ticket_id)
    values: dict[str, Any] = {"last_activity_at": now}
    if kind is MessageKind.REPLY:
        ownership.check_may_work(
            owner=tx.owner_name(row["owner_id"]), actor=actor, actor_role=Role(agent["role"])
        )
        clock = sla.on_agent_reply(R.clock_from_row(row), now)
        values.update(R.clock_columns(clock))
        if row["first_responded_at"] is None:
            values["first_responded_at"] = now
    tx.change(row, values, at=now, expected_version=expected_version)
    ticket_index.add_message(tx.conn, ticket_id, body)
    message_id = tx.insert(
        MESSAGES,
        {
            "ticket_id": ticket_id,
            "kind": kind.value,
            "channel": row["channel"],
            "author": actor,
            "body": body,
            "created_at": now,
            "idempotency_key": idempotency_key,
        },
    )
    files.add_attachments(tx, ticket_id=ticket_id, message_id=message_id, files=attachments)
    if kind is MessageKind.REPLY:
        outbox.queue_reply(tx, ticket=row, message_id=message_id)
    event_kind = EventKind.REPLY if kind is MessageKind.REPLY else EventKind.NOTE
    tx.event(event_kind, ticket_id=ticket_id, actor=actor, at=now, new={"message_id": message_id})
    return Message(
        id=message_id,
        ticket_id=ticket_id,
        kind=kind,
        channel=Channel(row["channel"]),
        author=actor,
        body=body,
        created_at=now,
    )


def _by_idempotency_key(tx: Tx, key: str) -> Message | None:
    q = text(f"SELECT {R.MESSAGE_COLUMNS} FROM messages WHERE idempotency_key = :k")
    row = tx.conn.execute(q, {"k": key}).first()
    return R.message_from_row(row) if row else None


def customer_message(
    tx: Tx,
    *,
    ticket_id: int,
    text: str,
    channel: Channel | None = None,
    origin: Origin = NO_ORIGIN,
) -> Message:
    """The customer wrote again: resumes a paused clock, reopens a resolved ticket."""
    now = tx.clock()
    row = tx.locked_ticket(ticket_id)
    if row["merged_into"]:
        raise Conflict(f"ticket {ticket_id} was merged into {row['merged_into']}")
    customer = tx.customer(row["customer_id"])
    status = Status(row["status"])
    change = lifecycle.customer_writes(
        status,
        R.clock_from_row(row),
        priority=Priority(row["priority"]),
        tier=Tier(row["tier"]),
        now=now,
        policy=tx.rules.sla,
        cal=tx.rules.calendar,
    )
    assert change.clock is not None  # the customer's message always moves the clock
    values: dict[str, Any] = {"last_activity_at": now}
    if change.reopened:
        values.update(status=change.status.value, active=1, resolved_at=None, resolution_code=None)
        tx.event(
            EventKind.REOPENED,
            ticket_id=ticket_id,
            actor=None,
            at=now,
            old={"status": status.value},
            new={"status": change.status.value},
        )
    elif change.status is not status:
        values["status"] = change.status.value
    values.update(R.clock_columns(change.clock))
    tx.change(row, values, at=now)
    ch = channel or Channel(row["channel"])
    ticket_index.add_message(tx.conn, ticket_id, text)
    message_id = tx.insert(
        MESSAGES,
        {
            "ticket_id": ticket_id,
            "kind": MessageKind.CUSTOMER.value,
            "channel": ch.value,
            "author": customer["name"],
            "body": text,
            "created_at": now,
            **origin.columns(),
        },
    )
    tx.event(
        EventKind.CUSTOMER_MESSAGE,
        ticket_id=ticket_id,
        actor=None,
        at=now,
        new={"message_id": message_id, "channel": ch.value, **triage(text).logged()},
    )
    return Message(
        id=message_id,
        ticket_id=ticket_id,
        kind=MessageKind.CUSTOMER,
        channel=ch,
        author=customer["name"],
        body=text,
        created_at=now,
    )
