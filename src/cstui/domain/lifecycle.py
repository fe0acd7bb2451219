"""A ticket's status life cycle: the changes an agent makes by hand, what the customer's
next message does, and what each one does to the SLA clock.

Each rule returns the change (`StatusChange`); the store writes it in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cstui.domain import sla
from cstui.domain.calendar import BusinessCalendar
from cstui.domain.model import Priority, Status, Tier
from cstui.errors import BadInput, Conflict

FINISHED = (Status.RESOLVED, Status.CLOSED)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The ticket's status and clock after a change."""

    status: Status
    clock: sla.SlaClock | None  # None: the clock stays as it is (a closed ticket's)
    reopened: bool = False  # a resolved or closed ticket is open again (logged)


def check_settable(status: Status) -> None:
    """The statuses an agent may set by hand (resolving has its own operation)."""
    if status in (Status.RESOLVED, Status.NEW):
        raise BadInput(f"status: use resolve for resolved; {status} cannot be set by hand")


def set_by_hand(
    old: Status, new: Status, clock: sla.SlaClock, now: datetime, cal: BusinessCalendar
) -> StatusChange:
    """An agent's change of status: pending pauses the clock, leaving pending resumes it.

    Only a resolved ticket closes; a finished one reopens by the customer's next message.
    """
    check_settable(new)
    if new is Status.CLOSED and old is not Status.RESOLVED:
        raise Conflict("only a resolved ticket can be closed")
    if old in FINISHED and new is not Status.CLOSED:
        raise Conflict(f"ticket is {old}; the customer's next message reopens it")
    if new is Status.PENDING:
        clock = sla.pause(clock, now, cal)
    elif old is Status.PENDING:
        clock = sla.resume(clock, now, cal)
    return StatusChange(new, None if new is Status.CLOSED else clock)


def customer_writes(
    status: Status,
    clock: sla.SlaClock,
    *,
    priority: Priority,
    tier: Tier,
    now: datetime,
    policy: sla.SlaPolicy,
    cal: BusinessCalendar,
) -> StatusChange:
    """The customer wrote again: a finished ticket reopens with a fresh clock, a pending
    one resumes its clock, and either way the next response is due again."""
    reopened = status in FINISHED
    if reopened:
        clock = sla.start_clock(now, priority, tier, policy, cal)
        clock = sla.on_agent_reply(clock, now)  # the first response was given long ago
        status = Status.OPEN
    elif status is Status.PENDING:
        clock = sla.resume(clock, now, cal)
        status = Status.OPEN
    clock = sla.on_customer_message(clock, now, priority, tier, policy, cal)
    return StatusChange(status, clock, reopened)
