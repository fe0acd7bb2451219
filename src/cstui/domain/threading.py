"""Where a customer's message goes: which ticket it continues, or whether it opens one.

The store looks up what it has (the message's own id, the tagged ticket, the ticket a
referenced Message-ID belongs to, the chat conversation's ticket, the sender's recent
tickets) and `decide` applies the order the team expects:

1. the same message was stored before: a duplicate, nothing is written;
2. a ticket tag in the subject ("[#1234]");
3. In-Reply-To / References naming a message we stored or sent (a chat: its conversation);
4. the same sender with the same normalised subject on an open ticket active within
   `thread_window`.

A ticket found by 2 or 3 that is finished reopens when it was resolved within
`reopen_window`; later, a new ticket is opened and linked to it. A tag or reference from
another customer never writes into that customer's ticket (a tag is trivial to forge): it
opens a new ticket linked to the one it named, for an agent to judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cstui.domain.model import ACTIVE_STATUSES, Status
from cstui.domain.rules import ChannelPolicy
from cstui.domain.subject import normalise_subject


class Action(StrEnum):
    APPEND = "append"  # to an open ticket
    REOPEN = "reopen"  # a recently resolved ticket
    NEW = "new"
    NEW_LINKED = "new_linked"  # a new ticket linked to an older one (late or foreign reply)
    DUPLICATE = "duplicate"  # stored before: ignored
    BOUNCE = "bounce"  # a bounce of our mail: its delivery fails, no message is written


class Via(StrEnum):
    """Which lookup found the ticket (None: none did)."""

    NONE = "none"
    DUPLICATE = "duplicate"
    TAG = "tag"
    REFERENCE = "reference"
    CONVERSATION = "conversation"
    SUBJECT = "subject"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ticket a lookup found (after following merges), as threading needs it."""

    ticket_id: int
    status: Status
    resolved_at: datetime | None
    last_activity_at: datetime
    same_customer: bool = True  # the sender is this ticket's customer
    subject: str = ""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True, slots=True)
class Lookups:
    """What the store found for one message."""

    subject: str = ""  # the message's subject as received
    duplicate_of: int | None = None  # the ticket already holding this message
    tag: Candidate | None = None
    reference: Candidate | None = None
    conversation: Candidate | None = None
    sender_tickets: Sequence[Candidate] = ()  # the sender's recently active tickets


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    ticket_id: int | None  # appended to, reopened, linked from, or holding the duplicate
    via: Via

    @property
    def opens_ticket(self) -> bool:
        return self.action in (Action.NEW, Action.NEW_LINKED)


def decide(found: Lookups, *, policy: ChannelPolicy, now: datetime) -> Decision:
    """Where the message goes (see the module docstring for the order)."""
    if found.duplicate_of is not None:
        return Decision(Action.DUPLICATE, found.duplicate_of, Via.DUPLICATE)
    for via, candidate in (
        (Via.TAG, found.tag),
        (Via.REFERENCE, found.reference),
        (Via.CONVERSATION, found.conversation),
    ):
        if candidate is not None:
            return _continue(candidate, via, policy=policy, now=now)
    match = same_subject(found.subject, found.sender_tickets, policy=policy, now=now)
    if match is not None:
        return Decision(Action.APPEND, match.ticket_id, Via.SUBJECT)
    return Decision(Action.NEW, None, Via.NONE)


def _continue(c: Candidate, via: Via, *, policy: ChannelPolicy, now: datetime) -> Decision:
    """A message that names a ticket: continue it, reopen it, or start a linked one."""
    if not c.same_customer:
        return Decision(Action.NEW_LINKED, c.ticket_id, via)
    if c.active:
        return Decision(Action.APPEND, c.ticket_id, via)
    finished_at = c.resolved_at or c.last_activity_at
    if now - finished_at <= policy.reopen_window:
        return Decision(Action.REOPEN, c.ticket_id, via)
    return Decision(Action.NEW_LINKED, c.ticket_id, via)


def same_subject(
    subject: str, tickets: Sequence[Candidate], *, policy: ChannelPolicy, now: datetime
) -> Candidate | None:
    """The sender's most recently active open ticket with the same normalised subject,
    active within the thread window; an empty subject threads nothing."""
    key = normalise_subject(subject, policy.tag_prefix)
    if not key:
        return None
    best: Candidate | None = None
    for c in tickets:
        if not c.active or not c.same_customer or now - c.last_activity_at > policy.thread_window:
            continue
        if normalise_subject(c.subject, policy.tag_prefix) != key:
            continue
        if best is None or c.last_activity_at > best.last_activity_at:
            best = c
    return best
