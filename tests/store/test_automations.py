"""Automations on every backend (conftest `store`): each rule fires once per deadline
instance, in one transaction with its action and its event."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from cstui.domain.automations import GREEN_RULES, AutomationPolicy, Rule
from cstui.domain.model import Department, EscalationState, EventKind, GoodsType, MessageKind
from cstui.store import SqlStore, open_store
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket

POLICY = AutomationPolicy(enabled=True)
GREEN = AutomationPolicy(rules=GREEN_RULES)
RESPONSES = AutomationPolicy(
    rules=frozenset({Rule.NEXT_RESPONSE_BREACH, Rule.FIRST_RESPONSE_BREACH})
)


def _rules(store: SqlStore, ticket_id: int) -> list[str]:
    return sorted(
        e.new["rule"]
        for e in store.events(ticket_id=ticket_id)
        if e.kind is EventKind.AUTOMATION and e.new is not None
    )


def _green_ticket(store: SqlStore) -> int:
    ticket = new_ticket(store, goods=GoodsType.FRESH, subject="生鲜变质")
    store.take(ticket, actor="alice")
    store.escalate(ticket, actor="alice", department=Department.QC, reason="质检", green=True)
    return ticket


def _supervisor_escalations(store: SqlStore, ticket_id: int) -> list[int]:
    return [
        e.new["escalation_id"]
        for e in store.events(ticket_id=ticket_id)
        if e.kind is EventKind.ESCALATED
        and e.new is not None
        and e.new["department"] == Department.SUPERVISOR.value
    ]


def test_green_ticket_warns_at_90_minutes_and_escalates_once_at_2_hours(
    store: SqlStore, clock: FakeClock
) -> None:
    ticket = _green_ticket(store)
    clock.advance(minutes=89)
    store.sweep(GREEN)
    assert _rules(store, ticket) == []
    clock.advance(minutes=1)
    report = store.sweep(GREEN)
    assert report.fired == 1 and _rules(store, ticket) == ["green_warning"]
    for who in ("alice", "sue"):
        [note] = store.notifications(actor=who, unread_only=True)
        assert note.rule == "green_warning" and note.ticket_id == ticket
    assert store.notifications(actor="bob") == []
    clock.advance(minutes=30)
    store.sweep(GREEN)
    store.sweep(GREEN)
    assert len(_supervisor_escalations(store, ticket)) == 1
    assert _rules(store, ticket) == ["green_escalation", "green_warning"]
    audited = [e for e in store.events(ticket_id=ticket) if e.kind is EventKind.ESCALATED]
    assert audited[-1].actor == "system"
    assert store.get_ticket(ticket).version > 1


def test_notifications_are_read_by_their_own_agent_only(store: SqlStore, clock: FakeClock) -> None:
    _green_ticket(store)
    clock.advance(minutes=90)
    store.sweep(GREEN)
    [alices] = store.notifications(actor="alice", unread_only=True)
    [sues] = store.notifications(actor="sue", unread_only=True)
    assert store.mark_read(actor="alice", ids=[alices.id, sues.id]) == 1
    assert store.notifications(actor="alice", unread_only=True) == []
    assert store.notifications(actor="alice")[0].read_at == clock.now
    assert store.unread_notifications(actor="sue") == 1


def test_a_deadline_moved_by_a_reply_fires_anew_only_for_its_new_instance(
    store: SqlStore, clock: FakeClock
) -> None:
    ticket = new_ticket(store)
    store.take(ticket, actor="alice")
    clock.advance(hours=3)  # the first response (20 min) is breached
    store.sweep(RESPONSES)
    assert _rules(store, ticket) == ["first_response_breach"]
    store.add_message(ticket, actor="alice", kind=MessageKind.REPLY, text="您好")
    store.customer_message(ticket, text="还没到")
    next_due = store.get_ticket(ticket).due.next_response
    assert next_due is not None
    clock.now = next_due + timedelta(minutes=1)
    store.sweep(RESPONSES)
    store.sweep(RESPONSES)
    assert _rules(store, ticket) == ["first_response_breach", "next_response_breach"]
    store.add_message(ticket, actor="alice", kind=MessageKind.REPLY, text="已催")
    store.customer_message(ticket, text="还是没到")
    moved = store.get_ticket(ticket).due.next_response
    assert moved is not None and moved != next_due
    clock.now = moved + timedelta(minutes=1)
    store.sweep(RESPONSES)
    breaches = [r for r in _rules(store, ticket) if r == "next_response_breach"]
    assert len(breaches) == 2  # one per instance, never two for one


def test_dry_run_writes_nothing(store: SqlStore, clock: FakeClock) -> None:
    ticket = _green_ticket(store)
    before = store.last_event_id()
    due = store.due_firings(POLICY, at=clock.now + timedelta(hours=3))
    assert {f.rule for f in due if f.ticket_id == ticket} >= {
        Rule.GREEN_WARNING,
        Rule.GREEN_ESCALATION,
    }
    assert store.last_event_id() == before
    assert store.notifications(actor="sue") == []
    assert store.due_firings(POLICY, at=clock.now) == []


def test_department_answer_and_low_csat_reach_the_owner(store: SqlStore, clock: FakeClock) -> None:
    ticket = new_ticket(store)
    store.take(ticket, actor="bob")
    esc = store.escalate(ticket, actor="bob", department=Department.WAREHOUSE, reason="未入库")
    store.update_escalation(esc.id, actor="sue", state=EscalationState.ACKNOWLEDGED)
    store.sweep(POLICY)
    store.sweep(POLICY)
    assert _rules(store, ticket) == ["department_answer"]
    assert [n.rule for n in store.notifications(actor="bob")] == ["department_answer"]


def test_a_rule_turned_off_never_fires(store: SqlStore, clock: FakeClock) -> None:
    _green_ticket(store)
    clock.advance(hours=3)
    off = AutomationPolicy(rules=frozenset(Rule) - {Rule.GREEN_ESCALATION})
    store.sweep(off)
    assert store.notifications(actor="sue", unread_only=True)
    assert all(n.rule != "green_escalation" for n in store.notifications(actor="sue"))


@pytest.mark.postgres
def test_two_sweepers_at_once_on_postgresql_escalate_once(pg_url: str, clock: FakeClock) -> None:
    from cstui.domain.model import Role, Shift
    from cstui.store import init_store
    from tests.conftest import _reset_pg

    _reset_pg(pg_url)
    first = init_store(pg_url, clock=clock)
    first.add_agent("alice", Role.AGENT, Shift.MORNING)
    first.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    tickets = [_green_ticket(first) for _ in range(20)]
    second = open_store(pg_url, clock=clock)
    clock.advance(hours=2)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(s: SqlStore) -> None:
        try:
            barrier.wait()
            s.sweep(GREEN)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    warned = [n.ticket_id for n in first.notifications(actor="alice", limit=500)]
    for ticket in tickets:
        assert len(_supervisor_escalations(first, ticket)) == 1
        assert _rules(first, ticket).count("green_escalation") == 1
        # the warning only notifies: claimed in a batch, still once, told once
        assert _rules(first, ticket).count("green_warning") == 1
        assert warned.count(ticket) == 2  # the warning and the escalation, once each
    second.close()
    first.close()


def test_what_fell_due_before_the_catch_up_window_is_let_go(
    store: SqlStore, clock: FakeClock
) -> None:
    ticket = new_ticket(store)
    clock.advance(days=3)  # its first response fell due long before this first sweep
    assert [f for f in store.due_firings(RESPONSES) if f.ticket_id == ticket] == []
    wider = AutomationPolicy(rules=RESPONSES.rules, catch_up=timedelta(days=7))
    assert [f.rule for f in store.due_firings(wider) if f.ticket_id == ticket] == [
        Rule.FIRST_RESPONSE_BREACH
    ]


def test_a_supervisors_green_call_starts_the_two_hours_too(
    store: SqlStore, clock: FakeClock
) -> None:
    ticket = new_ticket(store)
    store.set_green_channel(ticket, actor="sue", reason="客户投诉升级")
    clock.advance(minutes=119)
    store.sweep(GREEN)
    assert _rules(store, ticket) == ["green_warning"]
    clock.advance(minutes=1)
    store.sweep(GREEN)
    store.sweep(GREEN)
    assert _rules(store, ticket) == ["green_escalation", "green_warning"]
    assert len(_supervisor_escalations(store, ticket)) == 1


def test_fired_since_counts_by_rule_from_a_time_on(store: SqlStore, clock: FakeClock) -> None:
    """The monitor's "fired today": firings before `since` are left out, on both databases."""
    first = _green_ticket(store)
    clock.advance(minutes=90)
    store.sweep(GREEN)
    midnight = clock()
    clock.advance(minutes=1)
    assert store.automations_fired(since=midnight + timedelta(seconds=1)) == {}
    second = _green_ticket(store)
    clock.advance(minutes=100)
    store.sweep(GREEN)  # the first (191 minutes green) escalates, the second (100) warns
    assert _rules(store, first) == ["green_escalation", "green_warning"]
    assert _rules(store, second) == ["green_warning"]
    later = store.automations_fired(since=midnight + timedelta(seconds=1))
    assert later == {"green_escalation": 1, "green_warning": 1}
    assert store.automations_fired(since=midnight) == {"green_escalation": 1, "green_warning": 2}


@pytest.mark.postgres
def test_an_event_committed_below_a_swept_position_is_still_read(
    pg_url: str, clock: FakeClock
) -> None:
    """On PostgreSQL an event's id is taken at insert: a CSAT whose transaction commits after
    a sweep passed a later event's id is read by the next sweep all the same."""
    from cstui.domain import commands as C
    from cstui.domain.model import ResolutionCode, Role, Shift
    from cstui.store import init_store
    from cstui.store.commands import handler_for
    from cstui.store.tx import Tx
    from tests.conftest import _reset_pg

    _reset_pg(pg_url)
    store = init_store(pg_url, clock=clock)
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    late, early = (new_ticket(store) for _ in range(2))
    for ticket in (late, early):
        store.take(ticket, actor="alice")
        store.resolve(ticket, actor="alice", code=ResolutionCode.SOLVED)
    inserted, release = threading.Event(), threading.Event()

    def slow(tx: Tx, cmd: C.RecordCsat) -> None:
        handler_for(C.RecordCsat)(tx, cmd)
        inserted.set()
        assert release.wait(30)  # commits only after the sweep below

    writer = threading.Thread(
        target=store._writing, args=(slow, C.RecordCsat(ticket_id=late, score=1))
    )
    writer.start()
    try:
        assert inserted.wait(30)
        store.record_csat(early, score=1)  # a later id, committed first
        store.sweep(POLICY)
        assert _rules(store, early) == ["low_csat"] and _rules(store, late) == []
    finally:
        release.set()
        writer.join(30)
    clock.advance(seconds=30)
    store.sweep(POLICY)
    assert _rules(store, late) == ["low_csat"] and _rules(store, early) == ["low_csat"]
    store.close()


def test_the_slowest_targets_risk_is_found_by_sweeps_every_30_seconds(
    store: SqlStore, clock: FakeClock
) -> None:
    """A low-priority next response has the longest "at risk" lead (a fifth of 8 hours):
    sweeps that each read only what can have fallen due since the last still find it, at
    its time and not before."""
    from cstui.domain.model import Priority

    risk = AutomationPolicy(rules=frozenset({Rule.NEXT_RESPONSE_RISK}))
    ticket = new_ticket(store, priority=Priority.LOW)
    store.take(ticket, actor="alice")
    store.add_message(ticket, actor="alice", kind=MessageKind.REPLY, text="在查")
    store.customer_message(ticket, text="还没到")
    due = store.get_ticket(ticket).due.next_response
    assert due is not None
    starts = due - timedelta(minutes=480 * (1 - risk.risk_share))
    clock.now = starts - timedelta(seconds=45)
    store.sweep(risk)
    clock.advance(seconds=30)
    store.sweep(risk)
    assert _rules(store, ticket) == []
    clock.advance(seconds=30)
    store.sweep(risk)
    assert _rules(store, ticket) == ["next_response_risk"]
