"""Each command's handler: `fn(tx, cmd)`, run by `SqlStore.execute` in one write transaction.

`HANDLERS` maps a command class (`cstui.domain.commands`) to its handler; `@handles` adds
one. A handler hands the command's arguments to its aggregate module and returns the
command's result, read in the same transaction, so what a write answers is what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from cstui.domain import commands as C
from cstui.domain.model import Escalation, Message, Ticket, TransferRequest
from cstui.errors import CstuiError
from cstui.store import (
    complaints,
    escalations,
    handover,
    merge,
    messages,
    queue,
    tickets,
)
from cstui.store.auto_answer import auto_answer
from cstui.store.base import NewTicket
from cstui.store.tx import Tx

if TYPE_CHECKING:
    from cstui.assist.ranking import AnswerIndex

Handler = Callable[[Tx, Any], Any]
H = TypeVar("H", bound=Handler)
R = TypeVar("R")

HANDLERS: dict[type[C.Command[Any]], Handler] = {}


def handles(kind: type[C.Command[Any]]) -> Callable[[H], H]:
    """Register the decorated function as the handler of `kind` (one handler each)."""

    def register(fn: H) -> H:
        if kind in HANDLERS:
            raise CstuiError(f"{kind.__name__}: a second handler ({fn.__name__})")
        HANDLERS[kind] = fn
        return fn

    return register


def handler_for(kind: type[C.Command[Any]]) -> Handler:
    handler = HANDLERS.get(kind)
    if handler is None:
        raise CstuiError(f"{kind.__name__}: no store handler")
    return handler


def _ticket(tx: Tx, ticket_id: int, *, with_messages: bool = False) -> Ticket:
    return queue.get_ticket(tx, ticket_id=ticket_id, with_messages=with_messages)


# -- a ticket's life -------------------------------------------------------------------------


@handles(C.CreateTicket)
def create_ticket(tx: Tx, cmd: C.CreateTicket) -> Ticket:
    new = NewTicket(
        customer_id=cmd.customer_id,
        subject=cmd.subject,
        body=cmd.body,
        channel=cmd.channel,
        category=cmd.category,
        priority=cmd.priority,
        order_number=cmd.order_number,
        complaint_cause=cmd.complaint_cause,
    )
    ticket_id = tickets.create_ticket(tx, ticket=new, actor=cmd.actor)
    if tx.answers is not None:
        first = _ticket(tx, ticket_id, with_messages=True).messages
        if first:  # the customer's words, answered when `[assist]` allows
            said = f"{cmd.subject}\n{cmd.body}"
            auto_answer(
                tx, ticket_id=ticket_id, message_id=first[0].id, said=said, answers=tx.answers
            )
    return _ticket(tx, ticket_id, with_messages=True)


@handles(C.Take)
def take(tx: Tx, cmd: C.Take) -> Ticket:
    tickets.take(tx, ticket_id=cmd.ticket_id, actor=cmd.actor)
    return _ticket(tx, cmd.ticket_id)


@handles(C.SetStatus)
def set_status(tx: Tx, cmd: C.SetStatus) -> Ticket:
    tickets.set_status(
        tx,
        ticket_id=cmd.ticket_id,
        actor=cmd.actor,
        status=cmd.status,
        expected_version=cmd.expected_version,
    )
    return _ticket(tx, cmd.ticket_id)


@handles(C.SetPriority)
def set_priority(tx: Tx, cmd: C.SetPriority) -> Ticket:
    tickets.set_priority(
        tx,
        ticket_id=cmd.ticket_id,
        actor=cmd.actor,
        priority=cmd.priority,
        expected_version=cmd.expected_version,
    )
    return _ticket(tx, cmd.ticket_id)


@handles(C.SetCategory)
def set_category(tx: Tx, cmd: C.SetCategory) -> Ticket:
    tickets.set_category(tx, ticket_id=cmd.ticket_id, actor=cmd.actor, category=cmd.category)
    return _ticket(tx, cmd.ticket_id)


@handles(C.Resolve)
def resolve(tx: Tx, cmd: C.Resolve) -> Ticket:
    tickets.resolve(
        tx,
        ticket_id=cmd.ticket_id,
        actor=cmd.actor,
        code=cmd.code,
        override=cmd.override,
        expected_version=cmd.expected_version,
    )
    return _ticket(tx, cmd.ticket_id)


# -- the thread ------------------------------------------------------------------------------


@handles(C.AddMessage)
def add_message(tx: Tx, cmd: C.AddMessage) -> Message:
    written = messages.add_message(
        tx,
        ticket_id=cmd.ticket_id,
        actor=cmd.actor,
        kind=cmd.kind,
        text=cmd.text,
        expected_version=cmd.expected_version,
        idempotency_key=cmd.idempotency_key,
        attachments=cmd.attachments,
    )
    return tx.with_parts(written)  # a reply answers with its queued delivery and files


@handles(C.CustomerMessage)
def customer_message(tx: Tx, cmd: C.CustomerMessage) -> Message:
    written = messages.customer_message(
        tx, ticket_id=cmd.ticket_id, text=cmd.text, channel=cmd.channel
    )
    if tx.answers is not None:  # answered when `[assist]` allows
        auto_answer(
            tx, ticket_id=cmd.ticket_id, message_id=written.id, said=cmd.text, answers=tx.answers
        )
    return written


# The commands that bring a customer's words: `SqlStore.execute` builds the suggestion
# index for them (outside the transaction) when `[assist]` answers some on its own.
CUSTOMER_WORDS = (C.CreateTicket, C.CustomerMessage)


def with_answers(tx: Tx, cmd: C.Command[R], answers: AnswerIndex) -> R:
    """`cmd`'s handler, with the suggestion index at hand."""
    tx.answers = answers
    result: R = handler_for(type(cmd))(tx, cmd)
    return result


# -- escalations and the green channel --------------------------------------------------------


@handles(C.Escalate)
def escalate(tx: Tx, cmd: C.Escalate) -> Escalation:
    return escalations.escalate(
        tx,
        ticket_id=cmd.ticket_id,
        actor=cmd.actor,
        department=cmd.department,
        reason=cmd.reason,
        green=cmd.green,
        expected_version=cmd.expected_version,
    )


@handles(C.UpdateEscalation)
def update_escalation(tx: Tx, cmd: C.UpdateEscalation) -> Escalation:
    return escalations.update_escalation(
        tx, escalation_id=cmd.escalation_id, actor=cmd.actor, state=cmd.state, note=cmd.note
    )


@handles(C.GreenChannel)
def green_channel(tx: Tx, cmd: C.GreenChannel) -> Ticket:
    escalations.set_green_channel(tx, ticket_id=cmd.ticket_id, actor=cmd.actor, reason=cmd.reason)
    return _ticket(tx, cmd.ticket_id)


# -- ownership ---------------------------------------------------------------------------------


@handles(C.Transfer)
def transfer(tx: Tx, cmd: C.Transfer) -> C.TransferOutcome:
    request = handover.transfer(
        tx,
        ticket_id=cmd.ticket_id,
        actor=cmd.actor,
        to=cmd.to,
        reason=cmd.reason,
        expected_version=cmd.expected_version,
    )
    return C.TransferOutcome(ticket=_ticket(tx, cmd.ticket_id), request=request)


@handles(C.DecideTransfer)
def decide_transfer(tx: Tx, cmd: C.DecideTransfer) -> TransferRequest:
    return handover.decide_transfer(
        tx, request_id=cmd.request_id, actor=cmd.actor, approve=cmd.approve, note=cmd.note
    )


@handles(C.Steal)
def steal(tx: Tx, cmd: C.Steal) -> Ticket:
    handover.steal(tx, ticket_id=cmd.ticket_id, actor=cmd.actor, reason=cmd.reason)
    return _ticket(tx, cmd.ticket_id)


# -- duplicates and related tickets ---------------------------------------------------------------


@handles(C.Merge)
def merge_tickets(tx: Tx, cmd: C.Merge) -> Ticket:
    merge.merge_tickets(tx, ticket_id=cmd.ticket_id, into=cmd.into, actor=cmd.actor)
    return _ticket(tx, cmd.into, with_messages=True)


@handles(C.Link)
def link_tickets(tx: Tx, cmd: C.Link) -> Ticket:
    merge.link_tickets(tx, ticket_id=cmd.ticket_id, other_id=cmd.other, actor=cmd.actor)
    return _ticket(tx, cmd.ticket_id)


# -- complaints, follow-ups and the survey ------------------------------------------------------


@handles(C.RegisterComplaint)
def register_complaint(tx: Tx, cmd: C.RegisterComplaint) -> Ticket:
    complaints.register_complaint(tx, ticket_id=cmd.ticket_id, actor=cmd.actor, cause=cmd.cause)
    return _ticket(tx, cmd.ticket_id)


@handles(C.ScheduleFollowUp)
def schedule_follow_up(tx: Tx, cmd: C.ScheduleFollowUp) -> Ticket:
    complaints.schedule_follow_up(tx, ticket_id=cmd.ticket_id, actor=cmd.actor, due=cmd.due)
    return _ticket(tx, cmd.ticket_id)


@handles(C.CompleteFollowUp)
def complete_follow_up(tx: Tx, cmd: C.CompleteFollowUp) -> Ticket:
    complaints.complete_follow_up(tx, ticket_id=cmd.ticket_id, actor=cmd.actor, note=cmd.note)
    return _ticket(tx, cmd.ticket_id)


@handles(C.RecordCsat)
def record_csat(tx: Tx, cmd: C.RecordCsat) -> None:
    complaints.record_csat(tx, ticket_id=cmd.ticket_id, score=cmd.score)
