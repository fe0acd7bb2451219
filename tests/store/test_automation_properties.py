"""A property of the automations on a real SQLite store: whatever the sequence of events
(tickets, takes, replies, customers writing again, escalations green or not, departments
answering, resolutions, clocks paused and resumed, CSAT, complaint warnings) and of clock
steps and sweeps between them, each (rule, ticket, instance) fires at most once, and never
before its time.

"Its time", checked from the log, not from the rules' own answer: a firing's event is at
or after its `due_at`; a breach at or after the deadline its instance names; the green
channel's at or after the ticket went green plus 90 minutes or 2 hours; an event rule at or
after the event that caused it; and every firing has exactly one `automation` event.
"""

from __future__ import annotations

import contextlib
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from cstui.domain.automations import AutomationPolicy, Rule
from cstui.domain.model import (
    Department,
    EscalationState,
    EventKind,
    GoodsType,
    MessageKind,
    ResolutionCode,
    Role,
    Shift,
    Status,
)
from cstui.errors import CstuiError
from cstui.store import SqlStore, init_store, open_store
from tests.conftest import FakeClock
from tests.store.test_contract import new_ticket

POLICY = AutomationPolicy(enabled=True)
AGENTS = ("alice", "bob")
DEPARTMENTS = (Department.WAREHOUSE, Department.QC, Department.LOGISTICS)
ANSWERS = (EscalationState.ACKNOWLEDGED, EscalationState.DONE, EscalationState.REJECTED)
BREACHES = {
    Rule.FIRST_RESPONSE_BREACH.value,
    Rule.NEXT_RESPONSE_BREACH.value,
    Rule.VIP_RESOLUTION_BREACH.value,
    Rule.FOLLOW_UP_DUE.value,
}
GREEN_AFTER = {
    Rule.GREEN_WARNING.value: POLICY.green_warning,
    Rule.GREEN_ESCALATION.value: POLICY.green_escalation,
}

# One step: (what, which ticket (an index into those made so far), a small number)
Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(
            # repeated: drawn more often (a green ticket needs a take and 90 minutes)
            ["ticket", "fresh", "fresh", "repeat", "take", "reply", "customer", "customer"]
            + ["green", "green", "escalate", "answer", "resolve", "pause", "resume", "csat"]
            + ["wait"] * 4
            + ["sweep"] * 3
        ),
        st.integers(0, 5),
        st.integers(0, 200),
    ),
    min_size=6,
    max_size=30,
)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated store with the team, copied for each example (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("props") / "empty.db"
    store = init_store(str(path))
    for name in AGENTS:
        store.add_agent(name, Role.AGENT, Shift.MORNING)
    store.add_agent("sue", Role.SUPERVISOR, Shift.MORNING)
    store.close()
    return path


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_each_key_fires_at_most_once_and_never_early(
    empty_store: Path, tmp_path: Path, steps: list[Step]
) -> None:
    path = tmp_path / f"run-{id(steps)}.db"
    shutil.copyfile(empty_store, path)
    clock = FakeClock()
    store = open_store(str(path), clock=clock)
    try:
        world = _World(store, clock)
        for step in steps:
            world.apply(step)
        store.sweep(POLICY)
        clock.advance(hours=8)  # every deadline of the run has passed
        store.sweep(POLICY)
        store.sweep(POLICY)
        _assert_once_and_on_time(store)
    finally:
        store.close()
        path.unlink()


class _World:
    def __init__(self, store: SqlStore, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.tickets: list[int] = []
        self.escalations: list[int] = []
        self.customer: int | None = None
        self.fresh: list[int] = []  # the green channel is for fresh food (and medical goods)

    def apply(self, step: Step) -> None:
        what, which, n = step
        # refused by a rule (owned already, an open escalation …): a step like any other
        with contextlib.suppress(CstuiError):
            self._apply(what, which, n)

    def _ticket(self, which: int) -> int | None:
        return self.tickets[which % len(self.tickets)] if self.tickets else None

    def _apply(self, what: str, which: int, n: int) -> None:
        s, agent = self.store, AGENTS[n % len(AGENTS)]
        if what in {"ticket", "fresh", "repeat"}:
            goods = GoodsType.FRESH if what == "fresh" else GoodsType.GENERAL
            customer = self.customer if what == "repeat" else None
            ticket = new_ticket(s, goods=goods, customer_id=customer)
            self.customer = s.get_ticket(ticket).customer.id
            self.tickets.append(ticket)
            if goods is GoodsType.FRESH:
                self.fresh.append(ticket)
            return
        if what == "wait":
            self.clock.advance(minutes=n)
            return
        if what == "sweep":
            s.sweep(POLICY)
            return
        ticket = self._ticket(which)
        if what == "green" and self.fresh:
            ticket = self.fresh[which % len(self.fresh)]
        if ticket is None:
            return
        if what == "take":
            s.take(ticket, actor=agent)
            return
        if what in {"customer", "csat", "answer"}:
            self._customer_side(what, which, ticket, n)
            return
        # An agent's step on a ticket nobody owns: they take it first (as in the console).
        owner = s.get_ticket(ticket).owner or s.take(ticket, actor=agent).owner or agent
        if what == "reply":
            s.add_message(ticket, actor=owner, kind=MessageKind.REPLY, text="好的")
        elif what in {"green", "escalate"}:
            dept = DEPARTMENTS[n % len(DEPARTMENTS)]
            made = s.escalate(
                ticket, actor=owner, department=dept, reason="查", green=what == "green"
            )
            self.escalations.append(made.id)
        elif what == "resolve":
            s.resolve(ticket, actor=owner, code=ResolutionCode.SOLVED)
        elif what in {"pause", "resume"}:  # waiting on the customer stops the clock
            s.set_status(
                ticket, actor=owner, status=Status.PENDING if what == "pause" else Status.OPEN
            )

    def _customer_side(self, what: str, which: int, ticket: int, n: int) -> None:
        s = self.store
        if what == "customer":
            s.customer_message(ticket, text="还没好吗")
        elif what == "answer" and self.escalations:
            esc = self.escalations[which % len(self.escalations)]
            s.update_escalation(esc, actor="sue", state=ANSWERS[n % len(ANSWERS)])
        elif what == "csat":
            s.record_csat(ticket, score=1 + n % 5)


def _assert_once_and_on_time(store: SqlStore) -> None:
    log = list(store.events())
    by_id = {e.id: e for e in log}
    green_since = {
        e.ticket_id: e.at
        for e in sorted(log, key=lambda e: e.id, reverse=True)  # the first one wins
        if (e.kind is EventKind.GREEN_CHANNEL)
        or (e.kind is EventKind.ESCALATED and e.new is not None and e.new.get("green"))
    }
    fired = [e for e in log if e.kind is EventKind.AUTOMATION and e.new is not None]
    keys = Counter((e.new["rule"], e.ticket_id, e.new["instance"]) for e in fired)  # type: ignore[index]
    assert max(keys.values(), default=1) == 1, keys.most_common(3)
    for rule in {r for r, _t, _i in keys}:
        event(f"fired {rule}")  # --hypothesis-show-statistics: which rules the runs reached
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT rule, ticket_id, instance FROM firings")).all()
    assert Counter((r[0], r[1], r[2]) for r in rows) == keys  # each firing: one event
    for e in fired:
        new = e.new
        assert new is not None
        rule, instance = new["rule"], new["instance"]
        due_at = datetime.fromisoformat(new["due_at"])
        assert due_at <= e.at, (rule, instance, e.at)
        if rule in BREACHES:
            assert e.at >= datetime.fromisoformat(instance), (rule, instance, e.at)
        elif rule in GREEN_AFTER:
            since = green_since[e.ticket_id]
            assert e.at >= since + GREEN_AFTER[rule], (rule, since, e.at)
        elif rule == Rule.ESCALATION_OVERDUE.value:
            assert e.at >= datetime.fromisoformat(instance.split(":", 1)[1])
        elif instance.startswith("event:"):
            cause = by_id[int(instance.removeprefix("event:"))]
            assert cause.ticket_id == e.ticket_id and cause.at <= e.at and cause.id < e.id
