"""A property of the sweep on a real store: whatever happens to a ticket and however the
clock steps, each (rule, ticket, instance) fires at most once, and never before its time."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cstui.domain.automations import GREEN_RULES, AutomationPolicy, Rule
from cstui.domain.model import (
    Department,
    EscalationState,
    EventKind,
    GoodsType,
    MessageKind,
    Priority,
    ResolutionCode,
    Role,
    Shift,
    Status,
)
from cstui.errors import CstuiError
from cstui.store import SqlStore, init_store
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket

POLICY = AutomationPolicy(enabled=True, catch_up=timedelta(days=30))
BREACHES = {
    Rule.FIRST_RESPONSE_BREACH,
    Rule.NEXT_RESPONSE_BREACH,
    Rule.VIP_RESOLUTION_BREACH,
    Rule.FOLLOW_UP_DUE,
}

Step = Callable[[SqlStore, int, FakeClock], object]


def _escalate(s: SqlStore, t: int, c: FakeClock) -> object:
    return s.escalate(t, actor="alice", department=Department.WAREHOUSE, reason="查库存")


def _green(s: SqlStore, t: int, c: FakeClock) -> object:
    return s.escalate(t, actor="alice", department=Department.QC, reason="变质", green=True)


def _answer(s: SqlStore, t: int, c: FakeClock) -> object:
    for e in s.get_ticket(t).escalations:
        if e.state is EscalationState.REQUESTED:
            return s.update_escalation(e.id, actor="sue", state=EscalationState.ACKNOWLEDGED)
    return None


STEPS: dict[str, Step] = {
    "reply": lambda s, t, c: s.add_message(t, actor="alice", kind=MessageKind.REPLY, text="好"),
    "customer": lambda s, t, c: s.customer_message(t, text="还没好"),
    "pending": lambda s, t, c: s.set_status(t, actor="alice", status=Status.PENDING),
    "open": lambda s, t, c: s.set_status(t, actor="alice", status=Status.OPEN),
    "urgent": lambda s, t, c: s.set_priority(t, actor="alice", priority=Priority.URGENT),
    "escalate": _escalate,
    "green": _green,
    "answer": _answer,
    "resolve": lambda s, t, c: s.resolve(
        t, actor="alice", code=ResolutionCode.SOLVED, override=True
    ),
    "csat": lambda s, t, c: s.record_csat(t, score=1),
    "follow_up": lambda s, t, c: s.schedule_follow_up(
        t, actor="alice", due=c.now + timedelta(hours=1)
    ),
    "sweep": lambda s, t, c: (s.sweep(POLICY), s.sweep(POLICY)),
}

steps = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(min_value=1, max_value=24 * 60)),
        st.tuples(st.sampled_from(sorted(STEPS)), st.just(0)),
    ),
    max_size=30,
)


def _check(store: SqlStore, ticket: int) -> None:
    fired = [e for e in store.events(ticket_id=ticket) if e.kind is EventKind.AUTOMATION and e.new]
    keys = [(e.new["rule"], e.new["instance"]) for e in fired]  # type: ignore[index]
    assert len(keys) == len(set(keys)), keys
    for e in fired:
        rule, instance = Rule(e.new["rule"]), e.new["instance"]  # type: ignore[index]
        due_at = datetime.fromisoformat(e.new["due_at"])  # type: ignore[index]
        assert e.at >= due_at, (rule, e.at, due_at)
        if rule in BREACHES:
            assert due_at == datetime.fromisoformat(instance)
        if rule in GREEN_RULES:
            since = datetime.fromisoformat(instance)
            wait = POLICY.green_warning if rule is Rule.GREEN_WARNING else POLICY.green_escalation
            assert due_at == since + wait and e.at >= since + wait


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
def test_each_rule_fires_once_per_instance_and_never_early(
    tmp_path: Path, plan: list[tuple[str, int]]
) -> None:
    clock = FakeClock()
    store = _team(tmp_path, clock)
    try:
        ticket = new_ticket(store, goods=GoodsType.FRESH)
        store.take(ticket, actor="alice")
        for name, minutes in plan:
            if name == "advance":
                clock.advance(minutes=minutes)
                continue
            # A step the rules refuse now (resolving twice, say) changes nothing.
            with contextlib.suppress(CstuiError):
                STEPS[name](store, ticket, clock)
        clock.advance(days=2)
        store.sweep(POLICY)
        store.sweep(POLICY)
        _check(store, ticket)
    finally:
        store.close()


_COUNTER = iter(range(1_000_000))


def _team(tmp_path: Path, clock: FakeClock) -> SqlStore:
    store = init_store(str(tmp_path / f"p{next(_COUNTER)}.db"), clock=clock)
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    return store
