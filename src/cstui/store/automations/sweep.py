"""One sweep: what is due (read), then the firings carried out (`batch`, `fire`), in batches.

Reading and firing are separate transactions: the read is a snapshot of what looked due,
and a batch checks each firing again under its ticket's lock before acting, so a slow sweep
never acts on a deadline that moved meanwhile. A batch's firings share one transaction: those
that only notify are claimed and carried out together (`batch`), the others one at a time
(`fire`), each in a savepoint of its own, rolled back alone when it fails (the ticket changed
under it) and tried again by the next sweep.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from cstui.domain.automations import (
    AutomationPolicy,
    Firing,
    evaluate_escalation,
    evaluate_event,
    evaluate_green,
    evaluate_ticket,
)
from cstui.errors import CstuiError
from cstui.store.automations import batch, due
from cstui.store.automations.fire import fire
from cstui.store.dialect import insert_for
from cstui.store.schema import AUTOMATION_STATE
from cstui.store.tx import Tx

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BATCH = 200
EVENTS_KEY = "events"  # position: the last event id the event rules read
TIME_KEY = "time"  # position: how far the time rules have swept (µs since the epoch, UTC)


@dataclass(frozen=True)
class Due:
    """What one read found: the firings not yet recorded, and how far the log was read."""

    firings: list[Firing]
    position: int  # the last event read
    now: datetime  # the time it was due at (the time rules' place once fired)


@dataclass(frozen=True)
class SweepReport:
    found: int  # firings due and not recorded when the sweep read
    fired: int  # of them, those this sweep carried out
    position: int


def find_due(tx: Tx, *, now: datetime, policy: AutomationPolicy) -> Due:
    """Every firing due at `now` and not recorded yet (reads only)."""
    found: dict[tuple[str, int, str], Firing] = {}
    oldest = now - policy.catch_up  # what fell due before the catch-up window is let go
    swept = _swept(tx)
    for firing in _time_firings(tx, now, policy, swept):
        if firing.due_at >= oldest:
            found.setdefault(firing.key, firing)
    start = position = _position(tx, now, policy)
    after, since = max(0, start - due.EVENT_OVERLAP), (swept or oldest) - due.GRACE
    while True:
        page, after = due.event_facts(tx, after, start, since)
        for fact in page:
            if fact.at <= now:
                for firing in evaluate_event(fact, policy):
                    found.setdefault(firing.key, firing)
        if not page:
            break
        position = max(position, after)
    return Due(due.unfired(tx, found.values()), position, now)


def _time_firings(
    tx: Tx, now: datetime, policy: AutomationPolicy, swept: datetime | None
) -> Iterator[Firing]:
    greens: set[int] = set()
    for source, (lo, hi) in due.windows(now, policy, swept).items():
        ids = list(due.due_ids(tx, source, lo, hi))
        if source in due.GREEN_SOURCES:
            greens.update(ids)
            continue
        for start in range(0, len(ids), due.PAGE):
            part = ids[start : start + due.PAGE]
            if source in due.ESCALATION_SOURCES:
                for e in due.escalation_facts(tx, part):
                    yield from evaluate_escalation(e, now, policy)
            else:
                for t in due.ticket_facts(tx, part):
                    yield from evaluate_ticket(t, now, policy)
    ordered = sorted(greens)
    for start in range(0, len(ordered), due.PAGE):
        for g in due.green_facts(tx, ordered[start : start + due.PAGE]):
            yield from evaluate_green(g, now, policy)


def _swept(tx: Tx) -> datetime | None:
    """How far the last complete sweep got (None before the first)."""
    q = select(AUTOMATION_STATE.c.position).where(AUTOMATION_STATE.c.key == TIME_KEY)
    found = tx.conn.execute(q).scalar()
    return None if found is None else EPOCH + timedelta(microseconds=int(found))


def _position(tx: Tx, now: datetime, policy: AutomationPolicy) -> int:
    q = select(AUTOMATION_STATE.c.position).where(AUTOMATION_STATE.c.key == EVENTS_KEY)
    found = tx.conn.execute(q).scalar()
    if found is not None:
        return int(found)
    return due.first_event_since(tx, now - policy.catch_up)


def fire_batch(tx: Tx, firings: list[Firing], *, now: datetime, policy: AutomationPolicy) -> int:
    """Fire the batch; how many acted. Its tickets are locked first, in one statement and in
    id order (two sweepers queue on the same ticket first). The firings that only notify go
    together (`batch.fire_notifying`); the others, or all of them if the batch fails, one
    at a time, each in a savepoint: one that fails is rolled back alone and tried again by
    the next sweep."""
    ordered = sorted(firings, key=lambda f: (f.ticket_id, f.key))
    present = batch.lock_tickets(tx, (f.ticket_id for f in ordered))
    ordered = [f for f in ordered if f.ticket_id in present]  # a deleted ticket: nothing
    agents: dict[str, dict[str, int]] = {}  # recipients looked up once a batch
    plain = [f for f in ordered if batch.notifies_only(f)]
    single = [f for f in ordered if not batch.notifies_only(f)]
    fired = 0
    if plain:
        try:
            with tx.conn.begin_nested():
                fired += batch.fire_notifying(tx, plain, policy, now, agents)
        except CstuiError:
            single = ordered  # rolled back as a whole: each on its own
    for firing in single:
        try:
            with tx.conn.begin_nested():
                fired += fire(tx, firing, policy, now, agents)
        except CstuiError:
            continue  # e.g. the ticket changed under it: the next sweep looks again
    return fired


def save_position(tx: Tx, *, position: int, now: datetime) -> None:
    """Move both places forward (never back: another sweeper may be ahead): the event
    position, and `now` as how far the time rules have swept. Saved after the firings
    committed, so a sweep that dies first is read again by the next."""
    swept = (now - EPOCH) // timedelta(microseconds=1)
    for key, value in ((EVENTS_KEY, position), (TIME_KEY, swept)):
        _advance(tx, key, value, now)


def _advance(tx: Tx, key: str, value: int, now: datetime) -> None:
    make: Any = insert_for(tx.dialect)
    stmt = make(AUTOMATION_STATE).values(key=key, position=value, updated_at=now)
    tx.conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
    tx.conn.execute(
        update(AUTOMATION_STATE)
        .where(AUTOMATION_STATE.c.key == key, AUTOMATION_STATE.c.position < value)
        .values(position=value, updated_at=now)
    )


def batches(firings: list[Firing], size: int = BATCH) -> Iterator[list[Firing]]:
    for start in range(0, len(firings), size):
        yield firings[start : start + size]
