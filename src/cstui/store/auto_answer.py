"""Common questions answered on their own (`[assist]`), in the intake's transaction.

A customer's new ticket or message, once stored, is triaged and ranked against the
knowledge base; when `assist.policy.auto_decision` allows (never a VIP, a complaint, a
green-channel ticket, an angry message, a weak or close answer), the best answer goes out
as a reply through the outbox, or, in review mode, waits as a note for the owner. The
reply, its delivery and the `auto_answered` event are written in the intake's transaction:
a retried intake finds its message stored already and answers nothing twice. A ticket
answered once this way is not answered again: when the customer writes back, a person does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from cstui.assist.answer import ASSISTANT, NEEDS_A_PERSON, answer_text
from cstui.assist.policy import auto_decision
from cstui.assist.ranking import AnswerIndex
from cstui.assist.triage import triage
from cstui.domain.model import ArticleKind, EventKind, MessageKind, Order, Ticket, Tier
from cstui.store import outbox, queue, ticket_index
from cstui.store import rows as R
from cstui.store.schema import MESSAGES, ORDERS
from cstui.store.tx import Tx

_ANSWERED_BEFORE = text(
    "SELECT 1 FROM events WHERE ticket_id = :t AND kind = :kind ORDER BY id DESC LIMIT 1"
)


def auto_answer(
    tx: Tx,
    *,
    ticket_id: int,
    message_id: int,
    said: str,
    answers: AnswerIndex,
    identified: bool = True,
) -> int | None:
    """Answer (or draft the answer to) the customer's message `said` when the policy
    allows; the id of the reply or note written, None when a person answers. A sender not
    `identified` by their own address (linked by a number they wrote) hears of no order."""
    policy = tx.rules.assist
    if not policy.categories or _answered_before(tx, ticket_id):
        return None
    ticket = queue.get_ticket(tx, ticket_id=ticket_id, with_messages=False)
    if ticket.complaint_cause is not None or ticket.merged_into is not None:
        return None
    found = triage(said)
    # FAQs only: a template is written for an agent to complete (its carrier, its name);
    # measured in `bench/suggest.py`, FAQ against FAQ also keeps precision at 100%.
    ranked = answers.rank(said, found, 3, kind=ArticleKind.FAQ)
    if not ranked:
        return None
    best, score = ranked[0]
    decision = auto_decision(
        policy,
        found,
        [s for _, s in ranked],
        best_category=best.category,
        vip=ticket.customer.tier is Tier.VIP,
        green=ticket.green_channel,
    )
    order = None
    if identified:
        order = ticket.order or named_order(tx, found.orders, ticket.customer.id)
    if not decision.send or (order is not None and order.logistics_status in NEEDS_A_PERSON):
        return None
    from cstui.store.kb import answers as kb_answers  # loaded on first use

    body = kb_answers.bodies(tx, ids=[best.id]).get(best.id, "")
    reply = answer_text(body, order, found.lang)
    written = _write(tx, ticket, reply, review=policy.review)
    if written is None:
        return None
    tx.event(
        EventKind.AUTO_ANSWERED,
        ticket_id=ticket_id,
        actor=None,
        at=tx.clock(),
        new={
            "message_id": written,
            "answered": message_id,
            "article_id": best.id,
            "category": found.category.value,
            "score": round(score, 2),
            "mode": "draft" if policy.review else "send",
        },
    )
    return written


def _answered_before(tx: Tx, ticket_id: int) -> bool:
    params = {"t": ticket_id, "kind": EventKind.AUTO_ANSWERED.value}
    return tx.conn.execute(_ANSWERED_BEFORE, params).first() is not None


def named_order(tx: Tx, numbers: tuple[str, ...], customer_id: int) -> Order | None:
    """The first order the text names that is this customer's: another's is never told."""
    if not numbers:
        return None
    q = select(ORDERS).where(ORDERS.c.number.in_(numbers), ORDERS.c.customer_id == customer_id)
    row = tx.conn.execute(q.limit(1)).mappings().first()
    return None if row is None else R.order_from_mapping(row)


def _write(tx: Tx, ticket: Ticket, body: str, *, review: bool) -> int | None:
    """The reply, queued for delivery; or, in review mode, the note the owner sends."""
    now = tx.clock()
    row = tx.locked_ticket(ticket.id)
    if not review and outbox.recipient(tx, row) is None:
        return None  # not reachable on its channel (a phone ticket): a person answers
    tx.change(row, {"last_activity_at": now}, at=now)
    kind = MessageKind.NOTE if review else MessageKind.REPLY
    values: dict[str, Any] = {
        "ticket_id": ticket.id,
        "kind": kind.value,
        "channel": row["channel"],
        "author": ASSISTANT,
        "body": body,
        "created_at": now,
    }
    ticket_index.add_message(tx.conn, ticket.id, body)  # before the insert: it reads the thread
    message_id = tx.insert(MESSAGES, values)
    if not review:
        outbox.queue_reply(tx, ticket=row, message_id=message_id)
    return message_id
