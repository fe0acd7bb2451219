"""The outbox: every reply, acknowledgement and survey to deliver, queued in the transaction
that made it, claimed by one worker at a time under a lease, and marked sent or failed.

A row is claimed by moving its `lease_until` forward (and counting the attempt): on
PostgreSQL the candidate rows are read `FOR UPDATE SKIP LOCKED`, so two workers never pick
the same row; SQLite's write transaction (BEGIN IMMEDIATE) serialises claimers. A worker
that dies holding a lease lets the row become claimable again when the lease runs out, and
the row keeps its `external_id` (our Message-ID), so a receiver can tell a repeat.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping

from cstui.domain.channels import Delivery, DeliveryKind, DeliveryState, Outbound
from cstui.domain.message_ids import make_message_id
from cstui.domain.model import Channel, MessageKind
from cstui.errors import BadInput, NotFound
from cstui.store.schema import (
    ATTACHMENTS,
    CONVERSATIONS,
    CUSTOMERS,
    DELIVERIES,
    MESSAGES,
    TICKETS,
)
from cstui.store.tx import Tx

MAX_ERROR = 500  # characters of a failure's reason kept
MAX_REFERENCES = 20  # the newest ids of the thread an outgoing mail names


def ack_text(ticket_id: int, subject: str, tag_prefix: str) -> str:
    """The acknowledgement a new sender gets (Chinese first, English after)."""
    tag = f"[{tag_prefix}{ticket_id}]"
    return (
        f"您好，我们已收到您的来信（工单号 {tag}），客服会尽快回复您。"
        "回复本邮件时请保留标题中的工单号。\n\n"
        f"Hello, we have received your message (ticket {tag}: {subject}) and will reply soon. "
        "Please keep the ticket number in the subject when you reply.\n"
    )


# -- queueing ------------------------------------------------------------------------------


def enqueue(
    tx: Tx,
    *,
    ticket_id: int,
    message_id: int | None,
    kind: DeliveryKind,
    channel: Channel,
    recipient: str,
    dedupe_key: str,
) -> int | None:
    """Queue one delivery unless its dedupe key is queued already; its id (None: a repeat)."""
    found = tx.conn.execute(
        select(DELIVERIES.c.id).where(DELIVERIES.c.dedupe_key == dedupe_key)
    ).first()
    if found is not None:
        return None
    now = tx.clock()
    return tx.insert(
        DELIVERIES,
        {
            "ticket_id": ticket_id,
            "message_id": message_id,
            "kind": kind.value,
            "channel": channel.value,
            "recipient": recipient,
            "state": DeliveryState.QUEUED.value,
            "attempts": 0,
            "next_attempt_at": now,
            "lease_until": None,
            "error": None,
            "external_id": make_message_id(ticket_id, tx.rules.channels.domain),
            "dedupe_key": dedupe_key,
            "created_at": now,
            "sent_at": None,
        },
    )


def recipient(tx: Tx, ticket: RowMapping) -> tuple[Channel, str] | None:
    """Where the ticket's customer is reached on its channel, or None: mail needs an
    address (the one they last wrote from, else the customer's), chat, app and social a
    conversation; a phone ticket is answered by phone."""
    channel = Channel(ticket["channel"])
    if channel is Channel.PHONE:
        return None
    last = tx.conn.execute(
        select(MESSAGES.c.address)
        .where(
            MESSAGES.c.ticket_id == ticket["id"],
            MESSAGES.c.kind == MessageKind.CUSTOMER.value,
            MESSAGES.c.channel == channel.value,
            MESSAGES.c.address.is_not(None),
        )
        .order_by(MESSAGES.c.id.desc())
        .limit(1)
    ).scalar()
    if channel is Channel.EMAIL:
        if last:
            return channel, last
        email = tx.conn.execute(
            select(CUSTOMERS.c.email).where(CUSTOMERS.c.id == ticket["customer_id"])
        ).scalar()
        return (channel, email) if email else None
    if _conversation(tx, ticket["id"], channel) is None:
        return None
    return (channel, last) if last else None


def _conversation(tx: Tx, ticket_id: int, channel: Channel) -> str | None:
    return tx.conn.execute(
        select(CONVERSATIONS.c.external_id)
        .where(CONVERSATIONS.c.ticket_id == ticket_id, CONVERSATIONS.c.channel == channel.value)
        .limit(1)
    ).scalar()


def queue_reply(tx: Tx, *, ticket: RowMapping, message_id: int) -> int | None:
    """An agent's reply goes to a reachable customer (in the reply's transaction)."""
    to = recipient(tx, ticket)
    if to is None:
        return None
    return enqueue(
        tx,
        ticket_id=ticket["id"],
        message_id=message_id,
        kind=DeliveryKind.REPLY,
        channel=to[0],
        recipient=to[1],
        dedupe_key=f"reply:{message_id}",
    )


def queue_survey(tx: Tx, *, ticket: RowMapping) -> int | None:
    """The CSAT question once per ticket when it is resolved: when surveys are on, the
    customer is reachable and their last message was written by a person."""
    if not tx.rules.channels.survey or _last_customer_auto(tx, ticket["id"]):
        return None
    to = recipient(tx, ticket)
    if to is None:
        return None
    return enqueue(
        tx,
        ticket_id=ticket["id"],
        message_id=None,
        kind=DeliveryKind.SURVEY,
        channel=to[0],
        recipient=to[1],
        dedupe_key=f"survey:{ticket['id']}",
    )


def _last_customer_auto(tx: Tx, ticket_id: int) -> bool:
    auto = tx.conn.execute(
        select(MESSAGES.c.auto)
        .where(MESSAGES.c.ticket_id == ticket_id, MESSAGES.c.kind == MessageKind.CUSTOMER.value)
        .order_by(MESSAGES.c.id.desc())
        .limit(1)
    ).scalar()
    return auto is not None


def queue_ack(tx: Tx, *, ticket_id: int, message_id: int, channel: Channel, to: str) -> int | None:
    """The acknowledgement of a new ticket, at most `acknowledge_per_hour` to one sender."""
    policy = tx.rules.channels
    since = tx.clock() - timedelta(hours=1)
    sent = tx.conn.execute(
        select(func.count())
        .select_from(DELIVERIES)
        .where(
            DELIVERIES.c.kind == DeliveryKind.ACK.value,
            DELIVERIES.c.recipient == to,
            DELIVERIES.c.created_at >= since,
        )
    ).scalar_one()
    if sent >= policy.acknowledge_per_hour:
        return None
    return enqueue(
        tx,
        ticket_id=ticket_id,
        message_id=message_id,
        kind=DeliveryKind.ACK,
        channel=channel,
        recipient=to,
        dedupe_key=f"ack:{message_id}",
    )


# -- the workers' side ---------------------------------------------------------------------


def claim_deliveries(
    tx: Tx, *, channels: Collection[Channel], limit: int, lease: timedelta
) -> list[Outbound]:
    """Up to `limit` due deliveries on these channels, leased to the caller for `lease`."""
    if limit < 1 or not channels:
        return []
    if lease <= timedelta(0):
        raise BadInput("lease: a claim's lease is positive")
    now = tx.clock()
    q = (
        select(DELIVERIES)
        .where(
            DELIVERIES.c.state == DeliveryState.QUEUED.value,
            DELIVERIES.c.next_attempt_at <= now,
            (DELIVERIES.c.lease_until.is_(None)) | (DELIVERIES.c.lease_until <= now),
            DELIVERIES.c.channel.in_([c.value for c in channels]),
        )
        .order_by(DELIVERIES.c.next_attempt_at, DELIVERIES.c.id)
        .limit(limit)
    )
    if tx.dialect == "postgresql":
        q = q.with_for_update(skip_locked=True)
    rows = list(tx.conn.execute(q).mappings())
    if not rows:
        return []
    tx.conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_([r["id"] for r in rows]))
        .values(lease_until=now + lease, attempts=DELIVERIES.c.attempts + 1)
    )
    return [_outbound(tx, r) for r in rows]


def _outbound(tx: Tx, d: RowMapping) -> Outbound:
    ticket = tx.conn.execute(
        select(TICKETS.c.subject, CUSTOMERS.c.name)
        .join(CUSTOMERS, CUSTOMERS.c.id == TICKETS.c.customer_id)
        .where(TICKETS.c.id == d["ticket_id"])
    ).one()
    channel = Channel(d["channel"])
    kind = DeliveryKind(d["kind"])
    thread = _thread_ids(tx, d["ticket_id"], channel)
    return Outbound(
        id=d["id"],
        ticket_id=d["ticket_id"],
        kind=kind,
        channel=channel,
        recipient=d["recipient"],
        recipient_name=ticket.name,
        subject=ticket.subject,
        body=_body(tx, d, kind, ticket.subject),
        external_id=d["external_id"],
        in_reply_to=thread[-1] if thread else None,
        references=tuple(thread),
        conversation_id=_conversation(tx, d["ticket_id"], channel),
        attempts=d["attempts"] + 1,
        attachment_ids=_attachment_ids(tx, d["message_id"]),
    )


def _thread_ids(tx: Tx, ticket_id: int, channel: Channel) -> list[str]:
    """The customer's message ids on this ticket and channel, oldest first (the newest
    `MAX_REFERENCES`): what a reply's In-Reply-To and References name."""
    ids = tx.conn.execute(
        select(MESSAGES.c.external_id)
        .where(
            MESSAGES.c.ticket_id == ticket_id,
            MESSAGES.c.channel == channel.value,
            MESSAGES.c.kind == MessageKind.CUSTOMER.value,
            MESSAGES.c.external_id.is_not(None),
        )
        .order_by(MESSAGES.c.id.desc())
        .limit(MAX_REFERENCES)
    ).scalars()
    return list(reversed(list(ids)))


def _body(tx: Tx, d: RowMapping, kind: DeliveryKind, subject: str) -> str:
    """A reply's text; an acknowledgement's; a survey's is empty: the worker writes it with
    its signed links (`cstui.domain.survey`), which need the survey secret."""
    if kind is DeliveryKind.REPLY and d["message_id"] is not None:
        body = tx.conn.execute(
            select(MESSAGES.c.body).where(MESSAGES.c.id == d["message_id"])
        ).scalar()
        return body or ""
    if kind is DeliveryKind.ACK:
        return ack_text(d["ticket_id"], subject, tx.rules.channels.tag_prefix)
    return ""


def _attachment_ids(tx: Tx, message_id: int | None) -> tuple[int, ...]:
    if message_id is None:
        return ()
    ids = tx.conn.execute(
        select(ATTACHMENTS.c.id)
        .where(ATTACHMENTS.c.message_id == message_id)
        .order_by(ATTACHMENTS.c.id)
    ).scalars()
    return tuple(ids)


def _leased(tx: Tx, delivery_id: int) -> RowMapping:
    q = select(DELIVERIES).where(DELIVERIES.c.id == delivery_id).with_for_update()
    row = tx.conn.execute(q).mappings().first()
    if row is None:
        raise NotFound(f"delivery {delivery_id}: no such delivery")
    return row


def delivery_sent(tx: Tx, *, delivery_id: int) -> None:
    """The delivery left: sent, its lease released (again: nothing changes)."""
    row = _leased(tx, delivery_id)
    if row["state"] == DeliveryState.SENT.value:
        return
    tx.conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id)
        .values(state=DeliveryState.SENT.value, sent_at=tx.clock(), lease_until=None, error=None)
    )


def delivery_failed(
    tx: Tx, *, delivery_id: int, error: str, retry_at: datetime | None
) -> DeliveryState:
    """An attempt failed: retried at `retry_at`, or failed for good when that is None (a
    permanent refusal) or the attempts ran out. Returns the delivery's state."""
    row = _leased(tx, delivery_id)
    if row["state"] == DeliveryState.SENT.value:
        return DeliveryState.SENT  # a late report of an attempt that was superseded
    final = retry_at is None or row["attempts"] >= tx.rules.channels.max_attempts
    values: dict[str, Any] = {"error": " ".join(error.split())[:MAX_ERROR], "lease_until": None}
    if final:
        values["state"] = DeliveryState.FAILED.value
    else:
        values["next_attempt_at"] = retry_at
    tx.conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == delivery_id).values(**values))
    return DeliveryState.FAILED if final else DeliveryState.QUEUED


def mark_bounced(tx: Tx, *, external_id: str, reason: str) -> int | None:
    """A bounce names our message: its delivery failed. The ticket's id (None: not ours)."""
    row = tx.conn.execute(
        select(DELIVERIES.c.id, DELIVERIES.c.ticket_id).where(
            DELIVERIES.c.external_id == external_id
        )
    ).first()
    if row is None:
        return None
    tx.conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == row.id)
        .values(
            state=DeliveryState.FAILED.value,
            error=" ".join(reason.split())[:MAX_ERROR],
            lease_until=None,
        )
    )
    return int(row.ticket_id)


# -- reading -------------------------------------------------------------------------------


def deliveries(
    tx: Tx, *, ticket_id: int | None, state: DeliveryState | None, limit: int
) -> list[Delivery]:
    """Deliveries newest first, of one ticket and/or in one state."""
    q = select(DELIVERIES).order_by(DELIVERIES.c.id.desc()).limit(max(1, min(limit, 1000)))
    if ticket_id is not None:
        q = q.where(DELIVERIES.c.ticket_id == ticket_id)
    if state is not None:
        q = q.where(DELIVERIES.c.state == state.value)
    return [delivery_from_row(r) for r in tx.conn.execute(q).mappings()]


def delivery_counts(tx: Tx) -> dict[DeliveryState, int]:
    """How many deliveries are in each state (every state named, 0 when none)."""
    q = select(DELIVERIES.c.state, func.count()).group_by(DELIVERIES.c.state)
    counts = dict.fromkeys(DeliveryState, 0)
    for state, n in tx.conn.execute(q):
        counts[DeliveryState(state)] = int(n)
    return counts


def delivery_from_row(r: RowMapping) -> Delivery:
    return Delivery(
        id=r["id"],
        ticket_id=r["ticket_id"],
        message_id=r["message_id"],
        kind=DeliveryKind(r["kind"]),
        channel=Channel(r["channel"]),
        recipient=r["recipient"],
        state=DeliveryState(r["state"]),
        attempts=r["attempts"],
        error=r["error"],
        created_at=r["created_at"],
        sent_at=r["sent_at"],
    )
