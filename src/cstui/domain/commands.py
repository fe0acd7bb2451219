"""Every write on a ticket as one small value: what it changes, who asks, at which version.

A command carries its arguments and checks them (`check`, pure: no data needed) before any
store sees it; the rules that need the ticket (who may, in which state) stay with the
aggregate's domain module. The SQL store applies a command through one dispatcher
(`SqlStore.execute`), the HTTP store posts it (`HttpStore.execute`), and the team server's
write routes are derived from the table of commands (`cstui.commands.WRITES`).

Field names are the API's: a command's fields are its route's path parameters and body
fields, plus `actor` (the token's agent), `expected_version` (If-Match) and
`idempotency_key` (Idempotency-Key) where the operation has them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from cstui.domain.channels import NewAttachment
from cstui.domain.model import (
    Category,
    Channel,
    ComplaintCause,
    Department,
    Escalation,
    EscalationState,
    Message,
    MessageKind,
    Priority,
    ResolutionCode,
    Status,
    Ticket,
    TransferRequest,
)
from cstui.errors import BadInput

R = TypeVar("R", covariant=True)


class Command(Generic[R]):
    """A write whose result is an `R` (the ticket, the message, the escalation, …)."""

    __slots__ = ()

    def check(self) -> None:
        """Refuse arguments no store should see (BadInput); most commands have none."""


@dataclass(frozen=True, slots=True)
class TransferOutcome:
    """A transfer either moved the ticket now or waits for a supervisor."""

    ticket: Ticket
    request: TransferRequest | None


# -- a ticket's life -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTicket(Command[Ticket]):
    customer_id: int
    subject: str
    body: str
    channel: Channel
    category: Category
    priority: Priority = Priority.NORMAL
    order_number: str | None = None
    complaint_cause: ComplaintCause | None = None
    actor: str | None = None

    def check(self) -> None:
        if not self.subject.strip():
            raise BadInput("subject: a ticket needs a subject")


@dataclass(frozen=True, slots=True, kw_only=True)
class Take(Command[Ticket]):
    ticket_id: int
    actor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetStatus(Command[Ticket]):
    ticket_id: int
    actor: str
    status: Status
    expected_version: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetPriority(Command[Ticket]):
    ticket_id: int
    actor: str
    priority: Priority
    expected_version: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetCategory(Command[Ticket]):
    """File the ticket under another category: logged as `category`, beside what triage
    read (the `triaged` fields), so triage's accuracy is measured from the log."""

    ticket_id: int
    actor: str
    category: Category


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolve(Command[Ticket]):
    ticket_id: int
    actor: str
    code: ResolutionCode
    override: bool = False
    expected_version: int | None = None


# -- the thread ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AddMessage(Command[Message]):
    """A reply to the customer (the owner's) or an internal note (any colleague's)."""

    ticket_id: int
    actor: str
    kind: MessageKind
    text: str
    expected_version: int | None = None
    idempotency_key: str | None = None
    attachments: tuple[NewAttachment, ...] = ()  # checked against the limit in the store

    def check(self) -> None:
        if self.kind is MessageKind.CUSTOMER:
            raise BadInput("kind: agents write replies or notes")
        if not self.text.strip():
            raise BadInput("text: the message is empty")


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerMessage(Command[Message]):
    """The customer wrote again (a channel integration posts it)."""

    ticket_id: int
    text: str
    channel: Channel | None = None


# -- escalations and the green channel --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalate(Command[Escalation]):
    ticket_id: int
    actor: str
    department: Department
    reason: str
    green: bool = False
    expected_version: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateEscalation(Command[Escalation]):
    escalation_id: int
    actor: str
    state: EscalationState
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GreenChannel(Command[Ticket]):
    ticket_id: int
    actor: str
    reason: str


# -- ownership ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(Command[TransferOutcome]):
    ticket_id: int
    actor: str
    to: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DecideTransfer(Command[TransferRequest]):
    request_id: int
    actor: str
    approve: bool
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Steal(Command[Ticket]):
    ticket_id: int
    actor: str
    reason: str


# -- duplicates and related tickets ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Merge(Command[Ticket]):
    """Merge the duplicate `ticket_id` into `into`; the result is the survivor."""

    ticket_id: int
    actor: str
    into: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Link(Command[Ticket]):
    ticket_id: int
    actor: str
    other: int


# -- complaints, follow-ups and the survey ------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterComplaint(Command[Ticket]):
    ticket_id: int
    actor: str
    cause: ComplaintCause


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleFollowUp(Command[Ticket]):
    ticket_id: int
    actor: str
    due: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CompleteFollowUp(Command[Ticket]):
    ticket_id: int
    actor: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordCsat(Command[None]):
    ticket_id: int
    score: int

    def check(self) -> None:
        if not 1 <= self.score <= 5:
            raise BadInput("score: CSAT is 1 to 5")
