"""A ticket's status life cycle: what an agent may set, what the customer's message does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cstui.domain import lifecycle, sla
from cstui.domain.calendar import BusinessCalendar
from cstui.domain.model import Priority, Status, Tier
from cstui.errors import BadInput, Conflict

CAL = BusinessCalendar()
POLICY = sla.SlaPolicy.default()
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a Friday morning in Shanghai


def clock(status: Status = Status.OPEN) -> sla.SlaClock:
    started = sla.start_clock(NOW - timedelta(hours=1), Priority.NORMAL, Tier.STANDARD, POLICY, CAL)
    return (
        sla.pause(started, NOW - timedelta(minutes=30), CAL)
        if status is Status.PENDING
        else started
    )


@pytest.mark.parametrize("old", list(Status))
@pytest.mark.parametrize("new", list(Status))
def test_what_an_agent_may_set_by_hand(old: Status, new: Status) -> None:
    finished = old in (Status.RESOLVED, Status.CLOSED)
    if new in (Status.RESOLVED, Status.NEW):
        with pytest.raises(BadInput):
            lifecycle.set_by_hand(old, new, clock(old), NOW, CAL)
    elif (new is Status.CLOSED) != (old is Status.RESOLVED) or (
        finished and new is not Status.CLOSED
    ):
        with pytest.raises(Conflict):
            lifecycle.set_by_hand(old, new, clock(old), NOW, CAL)
    else:
        change = lifecycle.set_by_hand(old, new, clock(old), NOW, CAL)
        assert change.status is new and not change.reopened
        assert (change.clock is None) == (new is Status.CLOSED)


def test_pending_pauses_the_clock_and_leaving_it_resumes_it() -> None:
    paused = lifecycle.set_by_hand(Status.OPEN, Status.PENDING, clock(), NOW, CAL).clock
    assert paused is not None and paused.paused_at == NOW
    resumed = lifecycle.set_by_hand(Status.PENDING, Status.OPEN, clock(Status.PENDING), NOW, CAL)
    assert resumed.clock is not None and resumed.clock.paused_at is None


@pytest.mark.parametrize(
    ("status", "after", "reopened"),
    [
        (Status.NEW, Status.NEW, False),
        (Status.OPEN, Status.OPEN, False),
        (Status.ON_HOLD, Status.ON_HOLD, False),
        (Status.PENDING, Status.OPEN, False),
        (Status.RESOLVED, Status.OPEN, True),
        (Status.CLOSED, Status.OPEN, True),
    ],
)
def test_the_customer_writing_again(status: Status, after: Status, reopened: bool) -> None:
    change = lifecycle.customer_writes(
        status,
        clock(status),
        priority=Priority.NORMAL,
        tier=Tier.STANDARD,
        now=NOW,
        policy=POLICY,
        cal=CAL,
    )
    assert (change.status, change.reopened) == (after, reopened)
    assert change.clock is not None and change.clock.paused_at is None
    due = change.clock.due
    assert due.first_response is not None or due.next_response is not None  # an answer is owed
    if reopened:  # the first response was given long ago: the next one is owed now
        assert due.first_response is None and due.next_response is not None
