"""`auto_assign` on every backend (conftest `store`: alice and bob on the morning shift,
carol on the evening one, sue a supervisor; the clock is 09:30 in Shanghai)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from cstui.domain.automations import AutomationPolicy, Rule
from cstui.domain.model import EventKind, Tier
from cstui.store import SqlStore, open_store
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket

ASSIGN = AutomationPolicy(rules=frozenset({Rule.AUTO_ASSIGN}))  # 10 minutes for every tier


def _owner(store: SqlStore, ticket: int) -> str | None:
    return store.get_ticket(ticket).owner


def _assignments(store: SqlStore, ticket: int) -> list[tuple[str, str]]:
    return [
        (e.actor, e.new["owner"])
        for e in store.events(ticket_id=ticket)
        if e.kind is EventKind.TAKEN and e.new is not None
    ]


def test_off_by_default_nothing_is_assigned(store: SqlStore, clock: FakeClock) -> None:
    ticket = new_ticket(store)
    clock.advance(hours=1)
    store.sweep(AutomationPolicy(enabled=True))
    assert _owner(store, ticket) is None
    assert store.due_firings(AutomationPolicy()) == []


def test_the_least_loaded_agent_on_shift_gets_it_at_its_tiers_wait(
    store: SqlStore, clock: FakeClock
) -> None:
    store.take(new_ticket(store), actor="alice")
    ticket = new_ticket(store)
    clock.advance(minutes=9, seconds=59)
    store.sweep(ASSIGN)
    assert _owner(store, ticket) is None
    clock.advance(seconds=1)
    report = store.sweep(ASSIGN)
    assert report.fired == 1 and _owner(store, ticket) == "bob"
    assert _assignments(store, ticket) == [("system", "bob")]
    t = store.get_ticket(ticket)
    assert t.dispatch_count == 1 and t.status.value == "open"
    [note] = store.notifications(actor="bob")
    assert note.rule == "auto_assign" and note.ticket_id == ticket
    clock.advance(minutes=30)
    assert store.sweep(ASSIGN).fired == 0
    assert _assignments(store, ticket) == [("system", "bob")]


def test_paused_and_off_shift_agents_never_get_one(store: SqlStore, clock: FakeClock) -> None:
    for name in ("alice", "bob"):
        store.set_routing_paused(name, actor="sue", paused=True)
    ticket = new_ticket(store)
    clock.advance(minutes=15)
    store.sweep(ASSIGN)
    store.sweep(ASSIGN)
    assert _owner(store, ticket) is None  # carol is off shift, sue supervises
    store.set_routing_paused("bob", actor="sue", paused=False)
    clock.advance(minutes=1)
    store.sweep(ASSIGN)  # still waiting: tried again once someone can take it
    assert _owner(store, ticket) == "bob"


def test_equal_loads_take_turns(store: SqlStore, clock: FakeClock) -> None:
    """By name alone alice would win every tie; round-robin gives bob his turns."""
    store.take(new_ticket(store), actor="bob")
    tickets = []
    for _ in range(4):
        tickets.append(new_ticket(store))
        clock.advance(minutes=1)
    owners = []
    clock.advance(minutes=6)  # the first is due now, the others a minute apart
    for ticket in tickets:
        clock.advance(minutes=1)
        store.sweep(ASSIGN)
        owners.append(_owner(store, ticket))
    assert owners == ["alice", "bob", "alice", "bob"]


def test_an_owned_ticket_is_never_reassigned(store: SqlStore, clock: FakeClock) -> None:
    ticket = new_ticket(store)
    clock.advance(minutes=5)
    store.take(ticket, actor="alice")
    clock.advance(hours=1)
    assert store.sweep(ASSIGN).fired == 0
    assert _assignments(store, ticket) == [("alice", "alice")]


def test_tier_waits_apply(store: SqlStore, clock: FakeClock) -> None:
    ticket = new_ticket(store)
    policy = AutomationPolicy(
        rules=ASSIGN.rules,
        auto_assign_after={tier: timedelta(minutes=2) for tier in Tier},
        auto_assign_default=timedelta(minutes=30),
    )
    clock.advance(minutes=2)
    store.sweep(policy)
    assert _owner(store, ticket) == "alice"


@pytest.mark.postgres
def test_two_sweepers_at_once_assign_once(pg_url: str, clock: FakeClock) -> None:
    from cstui.domain.model import Role, Shift
    from cstui.store import init_store
    from tests.conftest import _reset_pg

    _reset_pg(pg_url)
    first = init_store(pg_url, clock=clock)
    first.add_agent("alice", Role.AGENT, Shift.MORNING)
    first.add_agent("bob", Role.AGENT, Shift.MORNING)
    first.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    tickets = [new_ticket(first) for _ in range(20)]
    second = open_store(pg_url, clock=clock)
    clock.advance(minutes=10)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(s: SqlStore) -> None:
        try:
            barrier.wait()
            s.sweep(ASSIGN)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    for ticket in tickets:
        assert len(_assignments(first, ticket)) == 1
        assert first.get_ticket(ticket).dispatch_count == 1
    owners = [first.get_ticket(t).owner for t in tickets]
    assert None not in owners and set(owners) <= {"alice", "bob"}
    second.close()
    first.close()
