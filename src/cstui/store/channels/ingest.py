"""A customer's message from mail or chat, stored once and threaded into its ticket.

One call is one transaction: the duplicate check, the customer found or made, the
threading decision (`domain.threading`), the ticket created (the same path as
`create_ticket`: tiers, SLA clocks, the returning-customer rule) or continued (the same
path as `customer_message`: a paused clock resumes, a resolved ticket reopens), the files,
the chat conversation's ticket and an acknowledgement queued for a new sender. A bounce
writes no message: it marks the delivery it bounces failed. A survey answered by a digit
records the score once and leaves the ticket resolved.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.engine import RowMapping

from cstui.assist.ranking import AnswerIndex
from cstui.domain import threading
from cstui.domain.channels import AutoKind, DeliveryKind, Inbound, IngestOutcome, NewAttachment
from cstui.domain.model import Channel, EventKind, MessageKind, Status
from cstui.domain.subject import strip_subject, survey_answer, ticket_tag
from cstui.domain.threading import Action, Candidate, Decision, Lookups
from cstui.errors import BadInput
from cstui.store import attachments as files
from cstui.store import outbox, ticket_index
from cstui.store.auto_answer import auto_answer
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.channels import linking
from cstui.store.complaints import has_csat, record_csat
from cstui.store.customers import add_customer
from cstui.store.merge import link_both_ways
from cstui.store.messages import Origin, customer_message
from cstui.store.schema import CONVERSATIONS, CUSTOMERS, DELIVERIES, MESSAGES, TICKETS
from cstui.store.tickets import open_ticket
from cstui.store.tx import Tx

MAX_REFERENCES = 50  # a hostile References header names thousands: the newest 50 are read
MAX_MERGE_HOPS = 20
MAX_ID = 255  # the external id column's width

# The lookups every message makes, built once: building a statement costs more than running
# it on SQLite (a bulk ingest makes ten of them a message).
_STORED = select(MESSAGES.c.ticket_id).where(
    MESSAGES.c.channel == bindparam("channel"), MESSAGES.c.external_id == bindparam("eid")
)
_BY_EMAIL = (
    select(CUSTOMERS.c.id)
    .where(CUSTOMERS.c.email == bindparam("address"))
    .order_by(CUSTOMERS.c.id)
    .limit(1)
)
_TICKET = select(TICKETS).where(TICKETS.c.id == bindparam("tid"))
_REFERENCED_MESSAGES = select(MESSAGES.c.external_id, MESSAGES.c.ticket_id).where(
    MESSAGES.c.channel == bindparam("channel"),
    MESSAGES.c.external_id.in_(bindparam("refs", expanding=True)),
)
_REFERENCED_DELIVERIES = select(DELIVERIES.c.external_id, DELIVERIES.c.ticket_id).where(
    DELIVERIES.c.external_id.in_(bindparam("refs", expanding=True))
)
_RECENT = (
    select(TICKETS)
    .where(
        TICKETS.c.customer_id == bindparam("cid"),
        TICKETS.c.active == 1,
        TICKETS.c.merged_into.is_(None),
        TICKETS.c.last_activity_at >= bindparam("since"),
    )
    .limit(50)
)


@dataclass(frozen=True, slots=True)
class Ingested:
    """The outcome, and the threading decision that led to it (the bench checks these)."""

    outcome: IngestOutcome
    decision: Decision


def ingest(tx: Tx, *, message: Inbound, answers: AnswerIndex | None = None) -> Ingested:
    """Store the message once and thread it (see the module docstring); with `answers`, a
    common question is answered on its own when `[assist]` allows (`store/auto_answer`)."""
    message = storable(message)
    if message.auto is AutoKind.BOUNCE:
        return _bounce(tx, message)  # it writes no message: there is nothing to store twice
    external_id = _external_id(message)
    address = _address(message)
    _one_sender_at_a_time(tx, message.channel, address)
    duplicate = _stored(tx, message.channel, external_id)
    if duplicate is not None:
        decision = Decision(Action.DUPLICATE, duplicate, threading.Via.DUPLICATE)
        return Ingested(IngestOutcome(duplicate, None, False, False, True), decision)
    customer_id = _find_customer(tx, message.channel, address, message.conversation_id)
    customer_by = None
    if customer_id is None and message.auto is AutoKind.NONE:
        said = f"{message.subject}\n{message.text}"
        if (named := linking.named_customer(tx, said, address)) is not None:
            customer_id, customer_by = named
    lookups = _lookups(tx, message, customer_id)
    survey = _survey_reply(tx, message, customer_id)
    if survey is not None:
        return _answer(tx, message, external_id, address, survey)
    decision = threading.decide(lookups, policy=tx.rules.channels, now=tx.clock())
    origin = Origin(
        external_id=external_id,
        address=address,
        full_body=message.full_text if message.full_text != message.text else None,
        auto=None if message.auto is AutoKind.NONE else message.auto.value,
    )
    if decision.opens_ticket:
        if customer_id is None:
            customer_id = _new_customer(tx, message, address)
        outcome = _open(tx, message, origin, customer_id, decision)
    else:
        assert decision.ticket_id is not None
        outcome = _continue(tx, message, origin, decision)
    _keep_conversation(tx, message, outcome)
    answered = None
    if answers is not None and message.auto is AutoKind.NONE and outcome.ticket_id is not None:
        said = f"{message.subject}\n{message.text}" if outcome.created else message.text
        assert outcome.message_id is not None  # written above
        answered = auto_answer(
            tx,
            ticket_id=outcome.ticket_id,
            message_id=outcome.message_id,
            said=said,
            answers=answers,
            # a sender known only by what they wrote is told nothing of the orders
            identified=customer_by is None,
        )
    return Ingested(replace(outcome, customer_by=customer_by, auto_answered=answered), decision)


def _external_id(message: Inbound) -> str:
    """The sender's id of the message; a message without one gets one from its content, so
    the same message delivered twice is still stored once."""
    given = message.external_id.strip()
    if given and len(given) <= MAX_ID:
        return given
    digest = hashlib.sha256()
    for part in (given, message.sender_address, message.subject, message.full_text):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(message.received_at.isoformat().encode())
    return f"<sha256.{digest.hexdigest()}@cstui.invalid>"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _text(value: str) -> str:
    """Text a database stores: NUL (PostgreSQL refuses it) and lone surrogates (no UTF-8
    form) become U+FFFD. A customer's message is kept, never refused for its bytes."""
    return _UNSTORABLE.sub("\ufffd", value)


def storable(message: Inbound) -> Inbound:
    """The message with every text field storable, and its conversation id bounded."""
    return replace(
        message,
        external_id=_text(message.external_id),
        sender_address=_text(message.sender_address),
        sender_name=_text(message.sender_name),
        subject=_text(message.subject),
        text=_text(message.text),
        full_text=_text(message.full_text),
        references=tuple(_text(r) for r in message.references),
        conversation_id=_bounded(_text(message.conversation_id or "") or None),
        bounced_id=_text(message.bounced_id) if message.bounced_id else None,
        attachments=tuple(
            replace(f, filename=_text(f.filename), content_type=_text(f.content_type))
            for f in message.attachments
        ),
    )


def _bounded(conversation_id: str | None) -> str | None:
    """A platform's conversation id as stored: one too long for its column is replaced by
    its hash, so that every message of the conversation still finds the same row."""
    if not conversation_id or len(conversation_id) <= MAX_ID:
        return conversation_id
    return "sha256:" + hashlib.sha256(conversation_id.encode("utf-8", "surrogatepass")).hexdigest()


def _address(message: Inbound) -> str:
    address = message.sender_address.strip()
    if not address:
        raise BadInput("sender: a message needs its sender's address")
    # Mail addresses are matched case-insensitively (stored lower-case); a platform's
    # user ids are kept as the platform spells them.
    return address.lower()[:255] if message.channel is Channel.EMAIL else address[:255]


def _stored(tx: Tx, channel: Channel, external_id: str) -> int | None:
    """The ticket already holding this message, or None."""
    return tx.conn.execute(_STORED, {"channel": channel.value, "eid": external_id}).scalar()


def _bounce(tx: Tx, message: Inbound) -> Ingested:
    reason = f"bounced: {strip_subject(message.subject)}".strip()
    ticket_id = None
    if message.bounced_id:
        ticket_id = outbox.mark_bounced(tx, external_id=message.bounced_id.strip(), reason=reason)
    decision = Decision(Action.BOUNCE, ticket_id, threading.Via.REFERENCE)
    return Ingested(IngestOutcome(ticket_id, None, False, False, False), decision)


def _one_sender_at_a_time(tx: Tx, channel: Channel, address: str) -> None:
    """On PostgreSQL, one sender's messages are ingested one after another (a lock held to
    the commit): two servers taking the first two mails of a new sender at once would
    otherwise make two customers, or two tickets of one thread. SQLite's write lock already
    serialises every ingest."""
    if tx.dialect == "postgresql":
        key = f"cstui-ingest:{channel.value}:{address}"
        tx.conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


# -- who wrote it ---------------------------------------------------------------------------


def _find_customer(
    tx: Tx, channel: Channel, address: str, conversation_id: str | None
) -> int | None:
    """The sender's customer: by e-mail address; on chat, app and social by the
    conversation, then by the user id they wrote from before."""
    if channel is Channel.EMAIL:
        return tx.conn.execute(_BY_EMAIL, {"address": address}).scalar()
    if conversation_id:
        q = (
            select(TICKETS.c.customer_id)
            .join(CONVERSATIONS, CONVERSATIONS.c.ticket_id == TICKETS.c.id)
            .where(
                CONVERSATIONS.c.channel == channel.value,
                CONVERSATIONS.c.external_id == conversation_id,
            )
        )
        if (found := tx.conn.execute(q).scalar()) is not None:
            return int(found)
    q = (
        select(TICKETS.c.customer_id)
        .join(MESSAGES, MESSAGES.c.ticket_id == TICKETS.c.id)
        .where(MESSAGES.c.channel == channel.value, MESSAGES.c.address == address)
        .order_by(MESSAGES.c.id.desc())
    )
    return tx.conn.execute(q.limit(1)).scalar()


def _new_customer(tx: Tx, message: Inbound, address: str) -> int:
    name = " ".join(message.sender_name.split())[:200] or address
    email = address if message.channel is Channel.EMAIL else None
    return add_customer(tx, customer=NewCustomer(name=name, email=email)).id


# -- where it goes --------------------------------------------------------------------------


def _lookups(tx: Tx, message: Inbound, customer_id: int | None) -> Lookups:
    tag = message.ticket_tag
    if tag is None:
        tag = ticket_tag(message.subject, tx.rules.channels.tag_prefix)
    return Lookups(
        subject=message.subject,
        tag=_candidate(tx, tag, customer_id) if tag is not None else None,
        reference=_candidate(tx, _referenced(tx, message), customer_id),
        conversation=_candidate(tx, _conversation_ticket(tx, message), customer_id),
        sender_tickets=_recent_tickets(tx, customer_id),
    )


def _referenced(tx: Tx, message: Inbound) -> int | None:
    """The ticket of the first id in In-Reply-To, then References, that we stored or sent."""
    refs = [r.strip() for r in message.references[:MAX_REFERENCES] if r.strip()]
    if not refs:
        return None
    found: dict[str, int] = {}
    params = {"refs": refs, "channel": message.channel.value}
    for q in (_REFERENCED_MESSAGES, _REFERENCED_DELIVERIES):
        found.update({str(e): int(t) for e, t in tx.conn.execute(q, params)})
    return next((found[r] for r in refs if r in found), None)


def _conversation_ticket(tx: Tx, message: Inbound) -> int | None:
    if not message.conversation_id:
        return None
    q = select(CONVERSATIONS.c.ticket_id).where(
        CONVERSATIONS.c.channel == message.channel.value,
        CONVERSATIONS.c.external_id == message.conversation_id,
    )
    return tx.conn.execute(q).scalar()


def _candidate(tx: Tx, ticket_id: int | None, customer_id: int | None) -> Candidate | None:
    """The ticket as threading sees it, after following merges; None when there is none."""
    row = None
    for _ in range(MAX_MERGE_HOPS):
        if ticket_id is None:
            return None
        row = tx.conn.execute(_TICKET, {"tid": ticket_id}).mappings().first()
        if row is None or not row["merged_into"]:
            break
        ticket_id = row["merged_into"]
    return None if row is None else _as_candidate(row, customer_id)


def _as_candidate(row: RowMapping, customer_id: int | None) -> Candidate:
    return Candidate(
        ticket_id=row["id"],
        status=Status(row["status"]),
        resolved_at=row["resolved_at"],
        last_activity_at=row["last_activity_at"],
        same_customer=row["customer_id"] == customer_id,
        subject=row["subject"],
    )


def _recent_tickets(tx: Tx, customer_id: int | None) -> tuple[Candidate, ...]:
    """The sender's open tickets active within the thread window (subject threading)."""
    if customer_id is None:
        return ()
    since = tx.clock() - tx.rules.channels.thread_window
    rows = tx.conn.execute(_RECENT, {"cid": customer_id, "since": since}).mappings()
    return tuple(_as_candidate(r, customer_id) for r in rows)


# -- writing it -----------------------------------------------------------------------------


def _open(
    tx: Tx, message: Inbound, origin: Origin, customer_id: int, decision: Decision
) -> IngestOutcome:
    policy = tx.rules.channels
    subject = strip_subject(message.subject, policy.tag_prefix) or _first_line(message.text)
    kept, note = _kept_files(tx, message.attachments)
    new = NewTicket(
        customer_id=customer_id,
        subject=subject[:200] or "(no subject)",
        body=message.text + note,
        channel=message.channel,
        category=policy.category,
    )
    ticket_id, message_id = open_ticket(tx, ticket=new, actor=None, origin=origin)
    files.add_attachments(tx, ticket_id=ticket_id, message_id=message_id, files=kept)
    linked = None
    if decision.action is Action.NEW_LINKED and decision.ticket_id is not None:
        linked = decision.ticket_id
        link_both_ways(tx, ticket_id, linked, actor=None, at=tx.clock())
    if message.auto is AutoKind.NONE and policy.acknowledge_new and origin.address:
        outbox.queue_ack(
            tx,
            ticket_id=ticket_id,
            message_id=message_id,
            channel=message.channel,
            to=origin.address,
        )
    return IngestOutcome(ticket_id, message_id, True, False, False, linked_to=linked)


def _continue(tx: Tx, message: Inbound, origin: Origin, decision: Decision) -> IngestOutcome:
    assert decision.ticket_id is not None
    kept, note = _kept_files(tx, message.attachments)
    written = customer_message(
        tx,
        ticket_id=decision.ticket_id,
        text=message.text + note,
        channel=message.channel,
        origin=origin,
    )
    files.add_attachments(tx, ticket_id=decision.ticket_id, message_id=written.id, files=kept)
    reopened = decision.action is Action.REOPEN
    return IngestOutcome(decision.ticket_id, written.id, False, reopened, False)


def _kept_files(tx: Tx, given: Sequence[NewAttachment]) -> tuple[list[NewAttachment], str]:
    """The files within the size limit, and a line for the message naming those left out
    (a customer's mail is never refused for its attachment)."""
    over = files.oversized(tx, given)
    kept = [f for f in given if f not in over and f.filename.strip()]
    if not over:
        return kept, ""
    limit = tx.rules.channels.attachment_max_bytes
    names = ", ".join(f"{f.filename} ({len(f.data)} bytes)" for f in over)
    return kept, f"\n\n[not kept, over the {limit}-byte limit: {names}]"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:80]
    return ""


def _keep_conversation(tx: Tx, message: Inbound, outcome: IngestOutcome) -> None:
    """A chat conversation threads into the ticket its last message went to."""
    if not message.conversation_id or outcome.ticket_id is None:
        return
    key = (CONVERSATIONS.c.channel == message.channel.value) & (
        CONVERSATIONS.c.external_id == message.conversation_id
    )
    done = tx.conn.execute(update(CONVERSATIONS).where(key).values(ticket_id=outcome.ticket_id))
    if done.rowcount == 0:
        tx.conn.execute(
            insert(CONVERSATIONS).values(
                channel=message.channel.value,
                external_id=message.conversation_id,
                ticket_id=outcome.ticket_id,
            )
        )


# -- a survey's answer ----------------------------------------------------------------------


def _survey_reply(tx: Tx, message: Inbound, customer_id: int | None) -> tuple[int, int] | None:
    """(ticket, score) when the message answers our survey with a digit, from the ticket's
    customer; None otherwise (it is then threaded like any message)."""
    if message.auto is not AutoKind.NONE or customer_id is None:
        return None
    score = survey_answer(message.text)
    refs = [r.strip() for r in message.references[:MAX_REFERENCES] if r.strip()]
    if score is None or not refs:
        return None
    q = (
        select(DELIVERIES.c.ticket_id)
        .join(TICKETS, TICKETS.c.id == DELIVERIES.c.ticket_id)
        .where(
            DELIVERIES.c.external_id.in_(refs),
            DELIVERIES.c.kind == DeliveryKind.SURVEY.value,
            TICKETS.c.customer_id == customer_id,
        )
    )
    ticket_id = tx.conn.execute(q.limit(1)).scalar()
    return None if ticket_id is None else (int(ticket_id), score)


def _answer(
    tx: Tx, message: Inbound, external_id: str, address: str, survey: tuple[int, int]
) -> Ingested:
    """Record the score (once: a second answer is kept as a message only) and keep the
    message on the ticket without reopening it."""
    ticket_id, score = survey
    if not has_csat(tx, ticket_id):
        record_csat(tx, ticket_id=ticket_id, score=score)
    now = tx.clock()
    author = tx.conn.execute(
        select(CUSTOMERS.c.name)
        .join(TICKETS, TICKETS.c.customer_id == CUSTOMERS.c.id)
        .where(TICKETS.c.id == ticket_id)
    ).scalar_one()
    ticket_index.add_message(tx.conn, ticket_id, message.text)  # before the row: see there
    message_id = tx.insert(
        MESSAGES,
        {
            "ticket_id": ticket_id,
            "kind": MessageKind.CUSTOMER.value,
            "channel": message.channel.value,
            "author": author,
            "body": message.text,
            "created_at": now,
            "external_id": external_id,
            "address": address,
            "full_body": message.full_text if message.full_text != message.text else None,
        },
    )
    tx.event(
        EventKind.CUSTOMER_MESSAGE,
        ticket_id=ticket_id,
        actor=None,
        at=now,
        new={"message_id": message_id, "channel": message.channel.value},
    )
    decision = Decision(Action.APPEND, ticket_id, threading.Via.REFERENCE)
    return Ingested(IngestOutcome(ticket_id, message_id, False, False, False), decision)
