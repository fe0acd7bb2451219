"""What each of a ticket's deadlines says to the agent, as a pure rule.

A deadline with no due time is not one thing: the first response was met (a reply went out),
the clocks are paused while the customer is asked (pending), or it does not apply. The ticket
pane and `cstui tickets show` both read these, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cstui.domain.model import MessageKind, Status, Ticket


class DueState(StrEnum):
    DUE = "due"  # counting down (or over) to `at`
    MET = "met"  # done at `at`
    PAUSED = "paused"  # stopped while the ticket waits on the customer
    NONE = "none"  # does not apply now


class DeadlineName(StrEnum):
    GREEN = "green"  # the green channel's 2 hours (only on green tickets)
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class Deadline:
    name: DeadlineName
    state: DueState
    at: datetime | None = None


def first_reply_at(tk: Ticket) -> datetime | None:
    """When the first reply went to the customer (None: not yet, or messages not loaded)."""
    return next((m.created_at for m in tk.messages if m.kind is MessageKind.REPLY), None)


def ticket_deadlines(tk: Ticket) -> tuple[Deadline, ...]:
    """The green channel's deadline first (when on it), then each SLA deadline."""
    paused = tk.status is Status.PENDING
    out = []
    if tk.due.green is not None and tk.is_active:
        out.append(Deadline(DeadlineName.GREEN, DueState.DUE, tk.due.green))
    replied = first_reply_at(tk)
    for name, due, done in (
        (DeadlineName.FIRST_RESPONSE, tk.due.first_response, replied),
        (DeadlineName.NEXT_RESPONSE, tk.due.next_response, None),
        (DeadlineName.RESOLUTION, tk.due.resolution, tk.resolved_at),
    ):
        if due is not None:
            out.append(Deadline(name, DueState.DUE, due))
        elif done is not None:
            out.append(Deadline(name, DueState.MET, done))
        elif paused:
            out.append(Deadline(name, DueState.PAUSED))
        else:
            out.append(Deadline(name, DueState.NONE))
    return tuple(out)
