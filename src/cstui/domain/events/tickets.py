"""The payloads of a ticket's events: its creation, owners, messages, escalations, status
and what follows its resolution, in `EventKind`'s order."""

from __future__ import annotations

# The annotations' types are read at run time (`typing.get_type_hints`), so they are
# imported here, not under TYPE_CHECKING.
from datetime import datetime

from cstui.domain.events.base import MalformedEvent, Payload, omitted, payload_class
from cstui.domain.model import (
    Category,
    Channel,
    ComplaintCause,
    Department,
    EscalationState,
    EventKind,
    Priority,
    ResolutionCode,
    Status,
    Tier,
)


@payload_class
class Created(Payload):
    KIND = EventKind.CREATED
    channel: Channel
    category: Category
    priority: Priority
    tier: Tier
    customer_id: int
    complaint: bool
    # What triage (`cstui.assist.triage`) read the customer's words as, when they arrived:
    # set beside what agents file and change, the log tells how often triage is right.
    triaged: Category | None = omitted()
    triaged_priority: Priority | None = omitted()
    risk: str | None = omitted()
    green_candidate: bool | None = omitted()
    triage_reasons: tuple[str, ...] | None = omitted()  # "category: …", "risk: …"


@payload_class
class OwnerChange(Payload):
    """An event that gives the ticket a new owner (`OWNERSHIP_EVENTS`)."""

    owner: str
    old_owner: str | None = None


@payload_class
class Taken(OwnerChange):
    KIND = EventKind.TAKEN


@payload_class
class TransferRequested(Payload):
    KIND = EventKind.TRANSFER_REQUESTED
    to: str
    reason: str
    request_id: int
    old_owner: str | None


@payload_class
class OwnerMoved(OwnerChange):
    """A new owner for a reason: approved, transferred, stolen or routed."""

    reason: str


@payload_class
class TransferApproved(OwnerMoved):
    KIND = EventKind.TRANSFER_APPROVED


@payload_class
class TransferDenied(Payload):
    KIND = EventKind.TRANSFER_DENIED
    request_id: int
    note: str | None


@payload_class
class Transferred(OwnerMoved):
    KIND = EventKind.TRANSFERRED


@payload_class
class Stolen(OwnerMoved):
    KIND = EventKind.STOLEN


@payload_class
class Routed(OwnerMoved):
    KIND = EventKind.ROUTED


@payload_class
class StatusChanged(Payload):
    KIND = EventKind.STATUS
    status: Status
    old_status: Status


@payload_class
class PriorityChanged(Payload):
    KIND = EventKind.PRIORITY
    priority: Priority
    old_priority: Priority


@payload_class
class CustomerMessage(Payload):
    KIND = EventKind.CUSTOMER_MESSAGE
    message_id: int
    channel: Channel
    # What triage (`cstui.assist.triage`) read the customer's words as, when they arrived:
    # set beside what agents file and change, the log tells how often triage is right.
    triaged: Category | None = omitted()
    triaged_priority: Priority | None = omitted()
    risk: str | None = omitted()
    green_candidate: bool | None = omitted()
    triage_reasons: tuple[str, ...] | None = omitted()  # "category: …", "risk: …"


@payload_class
class Reply(Payload):
    KIND = EventKind.REPLY
    message_id: int


@payload_class
class Note(Payload):
    KIND = EventKind.NOTE
    message_id: int


@payload_class
class Escalated(Payload):
    KIND = EventKind.ESCALATED
    escalation_id: int
    department: Department
    green: bool
    due_at: datetime
    reason: str


@payload_class
class EscalationStateChanged(Payload):
    KIND = EventKind.ESCALATION_STATE
    escalation_id: int
    state: EscalationState
    note: str | None
    old_state: EscalationState


@payload_class
class GreenChannel(Payload):
    KIND = EventKind.GREEN_CHANNEL
    reason: str


@payload_class
class Complaint(Payload):
    KIND = EventKind.COMPLAINT
    cause: ComplaintCause | None
    second: bool


@payload_class
class ComplaintWarning(Payload):
    """投诉预警: the customer of a new ticket looks likely to complain, and why."""

    KIND = EventKind.COMPLAINT_WARNING
    reasons: tuple[str, ...]


@payload_class
class Resolved(Payload):
    KIND = EventKind.RESOLVED
    code: ResolutionCode
    owner: str | None
    old_status: Status


@payload_class
class ResolveOverride(Payload):
    KIND = EventKind.RESOLVE_OVERRIDE
    open_escalations: int


@payload_class
class Reopened(Payload):
    KIND = EventKind.REOPENED
    status: Status
    old_status: Status


@payload_class
class AutoAnswered(Payload):
    """`[assist]` answered the customer's message on its own (`mode` "send": a reply went
    out) or prepared the answer as a note for the owner to review (`mode` "draft")."""

    KIND = EventKind.AUTO_ANSWERED
    message_id: int  # the reply or the note
    answered: int  # the customer's message answered
    article_id: int
    category: Category
    score: float
    mode: str


@payload_class
class CategoryChanged(Payload):
    """An agent filed the ticket under another category; set beside `triaged` (on the
    `created` and `customer_message` events), the log measures triage's accuracy."""

    KIND = EventKind.CATEGORY
    category: Category
    old_category: Category


@payload_class
class Closed(Payload):
    """Not written: closing a ticket is a STATUS event. Kept so that the kind decodes."""

    KIND = EventKind.CLOSED


@payload_class
class FollowUpScheduled(Payload):
    KIND = EventKind.FOLLOW_UP_SCHEDULED
    due: datetime


@payload_class
class FollowUpDone(Payload):
    KIND = EventKind.FOLLOW_UP_DONE
    note: str


@payload_class
class Csat(Payload):
    KIND = EventKind.CSAT
    score: int  # 1..5 when written; the metrics ignore any other
    owner: str | None


@payload_class
class Merged(Payload):
    """Logged on both tickets: the duplicate names `into`, the survivor `from_`."""

    KIND = EventKind.MERGED
    into: int | None = omitted()
    from_: int | None = omitted()

    def __post_init__(self) -> None:
        if (self.into is None) == (self.from_ is None):
            raise MalformedEvent("event merged: new: expected exactly one of into, from")


@payload_class
class Linked(Payload):
    KIND = EventKind.LINKED
    other: int
