"""Quality figures from the event log: hand-computed scenarios, then random histories.

The property tests generate ticket histories with a small state machine and check the module
against a deliberately plain per-ticket replay written here, index by index.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cstui.domain.events import (
    PAYLOADS,
    AgentAdded,
    Complaint,
    Created,
    Csat,
    Escalated,
    MalformedEvent,
    Merged,
    Note,
    OwnerMoved,
    Payload,
    Reopened,
    Reply,
    Resolved,
    Taken,
    encode,
)
from cstui.domain.metrics import (
    FIGURES,
    PERIODS,
    TARGETS,
    Metrics,
    Period,
    Target,
    as_dict,
    by_agent,
    by_period,
    by_team,
    change,
    compute,
    meets,
    next_period,
)
from cstui.domain.model import (
    BASIC_CATEGORIES,
    OWNERSHIP_EVENTS,
    Category,
    Channel,
    ComplaintCause,
    Department,
    Event,
    EventKind,
    Priority,
    ResolutionCode,
    Role,
    Status,
    Tier,
)
from cstui.errors import BadInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 6, 3, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
AGENTS = ("ann", "bo", "cy", "dan")
RATES = (
    "csat",
    "very_satisfied",
    "complaint_rate",
    "second_complaint_rate",
    "repeat_dispatch_rate",
    "first_contact_resolution",
    "basic_first_contact_resolution",
)


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def logged(event_id: int, ticket: int | None, at: datetime, p: Payload) -> Event:
    """An event as the store reads it back: its payload's two objects, parsed."""
    old, new = (None if text is None else json.loads(text) for text in encode(p))
    return Event(event_id, ticket, getattr(p, "owner", None), at, p.KIND, old, new)


def created(category: Category = Category.RETURN, complaint: bool = False) -> Created:
    return Created(
        channel=Channel.CHAT,
        category=category,
        priority=Priority.NORMAL,
        tier=Tier.STANDARD,
        customer_id=1,
        complaint=complaint,
    )


def new_owner(kind: EventKind, owner: str, before: str | None) -> Payload:
    """An ownership event of `kind`: TAKEN, or a move with a reason."""
    if kind is EventKind.TAKEN:
        return Taken(owner=owner, old_owner=before)
    return cast(type[OwnerMoved], PAYLOADS[kind])(owner=owner, reason="r", old_owner=before)


def escalated(at: datetime) -> Escalated:
    return Escalated(escalation_id=1, department=Department.QC, green=False, due_at=at, reason="r")


def resolved(owner: str | None) -> Resolved:
    return Resolved(code=ResolutionCode.SOLVED, owner=owner, old_status=Status.OPEN)


REOPENED = Reopened(status=Status.OPEN, old_status=Status.RESOLVED)


class Log:
    """Writes a log the way the store would, one event per call, ids in call order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.owner: dict[int | None, str | None] = {}

    def add(self, ticket: int | None, at: datetime, p: Payload) -> Log:
        self.events.append(logged(len(self.events) + 1, ticket, at, p))
        return self

    def created(
        self,
        ticket: int,
        at: datetime,
        category: Category = Category.RETURN,
        complaint: bool = False,
    ) -> Log:
        return self.add(ticket, at, created(category, complaint))

    def take(self, ticket: int, at: datetime, owner: str, kind: EventKind = EventKind.TAKEN) -> Log:
        self.add(ticket, at, new_owner(kind, owner, self.owner.get(ticket)))
        self.owner[ticket] = owner
        return self

    def resolve(self, ticket: int, at: datetime) -> Log:
        return self.add(ticket, at, resolved(self.owner[ticket]))

    def csat(self, ticket: int, at: datetime, score: int, owner: str | None = None) -> Log:
        return self.add(ticket, at, Csat(score=score, owner=owner))


def taken_tickets(log: Log, count: int, first: int = 1, owner: str = "ann") -> Log:
    for ticket in range(first, first + count):
        log.created(ticket, m(ticket)).take(ticket, m(ticket + 1), owner)
    return log


# --- hand-computed scenarios ---------------------------------------------------------------


def test_ten_tickets_three_reassigned_is_a_repeat_dispatch_rate_of_0_3() -> None:
    log = taken_tickets(Log(), 10)
    for ticket in (2, 5, 7):
        log.take(ticket, m(60), "bo", EventKind.TRANSFER_APPROVED)
    log.created(11, m(70))  # never taken: not in the denominator
    got = compute(log.events)
    assert got.tickets_created == 11
    assert got.repeat_dispatch_rate == pytest.approx(0.3)


def test_passing_a_ticket_back_to_its_first_owner_still_counts_as_redispatched() -> None:
    log = taken_tickets(Log(), 1)
    log.take(1, m(10), "bo", EventKind.STOLEN).take(1, m(20), "ann", EventKind.TRANSFERRED)
    assert compute(log.events).repeat_dispatch_rate == 1.0


def test_csat_shares_count_4_and_5_as_satisfied_and_ignore_scores_out_of_range() -> None:
    log = taken_tickets(Log(), 1)
    for i, score in enumerate((5, 5, 4, 3, 1, 0, 6)):
        log.csat(1, m(100 + i), score, "ann")
    got = compute(log.events)
    assert (got.csat_responses, got.csat, got.very_satisfied) == (5, 0.6, 0.4)


@pytest.mark.parametrize(
    ("kind", "old", "new", "problem"),
    [
        (EventKind.CSAT, None, {"score": True, "owner": "ann"}, "new.score: expected an integer"),
        (EventKind.CSAT, None, {"score": "5", "owner": "ann"}, "new.score: expected an integer"),
        (EventKind.CSAT, None, {"score": 5}, "new.owner: missing"),
        (EventKind.CREATED, None, {"category": "return"}, "new.channel: missing"),
        (EventKind.STOLEN, {"owner": "ann"}, {"owner": 7, "reason": "r"}, "new.owner: expected"),
        (EventKind.RESOLVED, None, {"code": "solved", "owner": "ann"}, "old.status: missing"),
        (EventKind.COMPLAINT, None, {"cause": "x", "second": True, "y": 1}, "new.cause: expected"),
        (
            EventKind.COMPLAINT,
            None,
            {"cause": None, "second": True, "y": 1},
            "new: unknown field 'y'",
        ),
    ],
)
def test_a_malformed_payload_the_figures_read_fails_loudly(
    kind: EventKind, old: dict[str, Any] | None, new: dict[str, Any], problem: str
) -> None:
    """A payload that does not fit its kind stops the figures: it is not guessed at."""
    log = taken_tickets(Log(), 1)
    log.events.append(Event(99, 1, "ann", m(50), kind, old, new))
    with pytest.raises(MalformedEvent, match=f"^event {kind}: {problem}"):
        compute(log.events)


def test_complaint_and_second_complaint_rates() -> None:
    log = taken_tickets(Log(), 50)
    log.created(51, m(5), complaint=True)
    log.created(52, m(5), Category.COMPLAINT)
    log.add(1, m(90), Complaint(cause=ComplaintCause.ATTITUDE, second=False))
    log.add(2, m(90), Complaint(cause=ComplaintCause.PROCESS, second=False))
    log.add(2, m(95), Complaint(cause=ComplaintCause.PROCESS, second=True))
    got = compute(log.events)
    assert got.tickets_created == 52
    assert got.complaint_rate == 4 / 52
    assert got.second_complaint_rate == 0.25


def test_first_contact_resolution_needs_one_owner_no_escalation_and_no_comeback() -> None:
    log = taken_tickets(Log(), 4)
    log.resolve(1, m(30))  # first contact
    log.take(2, m(10), "bo", EventKind.TRANSFER_APPROVED).resolve(2, m(30))  # two owners
    log.add(3, m(10), escalated(m(10)))
    log.resolve(3, m(30))
    log.resolve(4, m(20)).add(4, m(25), REOPENED).resolve(4, m(30))  # came back
    log.created(5, m(5), Category.LOGISTICS).take(5, m(6), "ann").resolve(5, m(30))
    log.created(6, m(5), Category.ADDRESS).take(6, m(6), "ann")
    log.take(6, m(7), "cy", EventKind.TRANSFERRED).resolve(6, m(30))
    log.created(7, m(5), Category.LOGISTICS).take(7, m(6), "ann").resolve(7, m(20))
    log.add(7, m(40), REOPENED)  # reopened and open again: not resolved
    got = compute(log.events)
    assert got.tickets_resolved == 6
    assert got.first_contact_resolution == 2 / 6
    assert got.basic_first_contact_resolution == 0.5


def test_average_first_response_and_resolution_time() -> None:
    log = Log()
    log.created(1, m(0)).take(1, m(1), "ann")
    log.add(1, m(10), Reply(message_id=1)).add(1, m(15), Reply(message_id=2))
    log.resolve(1, m(60))
    log.created(2, m(0)).take(2, m(1), "bo").add(2, m(30), Reply(message_id=3)).resolve(2, m(180))
    log.created(3, m(0))  # never answered: left out of the average, not counted as zero
    got = compute(log.events)
    assert got.avg_first_response == timedelta(minutes=20)
    assert got.avg_resolution_time == timedelta(minutes=120)


def test_a_merged_duplicate_is_not_counted_but_its_csat_answer_is() -> None:
    log = taken_tickets(Log(), 3)
    log.resolve(3, m(20)).add(3, m(21), Merged(into=1))
    log.csat(3, m(30), 5, "ann")
    got = compute(log.events)
    assert (got.tickets_created, got.tickets_resolved, got.csat_responses) == (2, 0, 1)


def test_tickets_whose_creation_is_not_in_the_log_are_ignored() -> None:
    log = Log().take(1, m(1), "ann").resolve(1, m(2))
    log.add(None, m(0), AgentAdded(agent="ann", role=Role.AGENT))
    got = compute(log.events)
    assert (got.tickets_created, got.tickets_resolved) == (0, 0)


def test_the_window_counts_creations_resolutions_and_answers_separately() -> None:
    log = taken_tickets(Log(), 3)  # created at m(1), m(2), m(3)
    log.resolve(1, m(100)).resolve(2, m(200)).csat(1, m(150), 5, "ann")
    got = compute(log.events, since=m(2), until=m(200))  # until is exclusive
    assert (got.tickets_created, got.tickets_resolved, got.csat_responses) == (2, 1, 1)
    assert got.avg_resolution_time == timedelta(minutes=99)


def test_events_are_replayed_in_time_order_then_id_order() -> None:
    log = taken_tickets(Log(), 2)
    log.resolve(1, m(50)).add(1, m(50), REOPENED)  # same instant: the id decides
    log.take(2, m(50), "bo", EventKind.STOLEN).add(2, m(50), resolved(None))
    for events in (log.events, list(reversed(log.events))):
        assert compute(events).tickets_resolved == 1
        assert set(by_agent(events)) == {"bo", "ann"}
        assert by_agent(events)["bo"].tickets_resolved == 1


def test_by_agent_credits_the_final_owner_and_csat_to_its_owner() -> None:
    log = taken_tickets(Log(), 3)
    log.resolve(1, m(10)).csat(1, m(11), 5, "ann")
    log.take(2, m(10), "bo", EventKind.TRANSFER_APPROVED).resolve(2, m(20)).csat(2, m(21), 2, "bo")
    log.created(4, m(4))  # nobody owns it: belongs to no agent
    agents = by_agent(log.events)
    assert set(agents) == {"ann", "bo"}
    assert (agents["ann"].tickets_created, agents["ann"].tickets_resolved) == (2, 1)
    assert (agents["bo"].repeat_dispatch_rate, agents["bo"].csat) == (1.0, 0.0)
    assert agents["ann"].csat == 1.0


def test_by_team_groups_agents_and_leaves_out_unknown_ones() -> None:
    log = taken_tickets(Log(), 2).take(3, m(3), "cy").take(4, m(4), "dan")
    for ticket in (3, 4):
        log.created(ticket, m(0))
    teams = by_team(log.events, {"ann": "morning", "cy": "morning", "bo": "evening"})
    assert set(teams) == {"morning"}
    assert teams["morning"].tickets_created == 3


def test_by_period_buckets_by_local_day_and_fills_gaps() -> None:
    log = Log()
    log.created(1, datetime(2024, 6, 3, 17, 0, tzinfo=UTC))  # 01:00 on 4 June in Shanghai
    log.created(2, datetime(2024, 6, 6, 2, 0, tzinfo=UTC))
    rows = by_period(log.events, period="day", tz=SHANGHAI)
    assert [d for d, _ in rows] == [date(2024, 6, 4), date(2024, 6, 5), date(2024, 6, 6)]
    assert [r.tickets_created for _, r in rows] == [1, 0, 1]
    bounded = by_period(
        log.events,
        period="day",
        tz=SHANGHAI,
        since=datetime(2024, 6, 2, tzinfo=SHANGHAI),
        until=datetime(2024, 6, 5, tzinfo=SHANGHAI),  # exclusive: 5 June is not a row
    )
    assert [(d.day, r.tickets_created) for d, r in bounded] == [(2, 0), (3, 0), (4, 1)]


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    log = Log().created(1, datetime(2024, 6, 9, 15, 0, tzinfo=UTC))  # Sunday 23:00 local
    log.created(2, datetime(2024, 6, 9, 16, 30, tzinfo=UTC))  # Monday 00:30 local
    log.created(3, datetime(2024, 12, 31, 16, 30, tzinfo=UTC))  # 1 January local
    weeks = by_period(log.events, period="week", tz=SHANGHAI)
    assert weeks[:2] == [(date(2024, 6, 3), weeks[0][1]), (date(2024, 6, 10), weeks[1][1])]
    assert (weeks[0][1].tickets_created, weeks[1][1].tickets_created) == (1, 1)
    months = by_period(log.events, period="month", tz=SHANGHAI)
    assert [d for d, _ in months] == [date(2024, month, 1) for month in range(6, 13)] + [
        date(2025, 1, 1)
    ]


def test_by_period_rejects_an_unknown_period_and_is_empty_for_an_empty_log() -> None:
    with pytest.raises(BadInput):
        by_period([], period="year", tz=SHANGHAI)  # type: ignore[arg-type]
    assert by_period([], period="day", tz=SHANGHAI) == []


def test_an_empty_log_has_zero_counts_and_no_rates() -> None:
    got = compute([])
    assert (got.tickets_created, got.tickets_resolved, got.csat_responses) == (0, 0, 0)
    assert all(getattr(got, name) is None for name in (*RATES, "avg_first_response"))


def figures(**values: Any) -> Metrics:
    base: dict[str, Any] = dict.fromkeys(FIGURES)
    base.update(tickets_created=0, tickets_resolved=0, csat_responses=0)
    return Metrics(**(base | values))


def test_targets_are_the_documented_ones() -> None:
    assert TARGETS["csat"] == Target("csat", 0.90, True)
    assert TARGETS["complaint_rate"].value == 0.02
    assert TARGETS["second_complaint_rate"].value == 0.015
    assert TARGETS["repeat_dispatch_rate"].value == 0.08
    assert TARGETS["basic_first_contact_resolution"].value == 0.98
    assert TARGETS["avg_first_response"] == Target("avg_first_response", 1200.0, False)
    assert all(name in FIGURES for name in TARGETS)


def test_meets_judges_both_directions_and_says_none_without_data() -> None:
    assert meets(figures(csat=0.9), "csat") is True
    assert meets(figures(csat=0.89), "csat") is False
    assert meets(figures(basic_first_contact_resolution=49 / 50), "basic_first_contact_resolution")
    assert meets(figures(repeat_dispatch_rate=0.08), "repeat_dispatch_rate") is True
    assert meets(figures(avg_first_response=timedelta(minutes=20)), "avg_first_response")
    late = figures(avg_first_response=timedelta(minutes=20, seconds=1))
    assert meets(late, "avg_first_response") is False
    assert meets(figures(), "complaint_rate") is None
    custom = {"csat": Target("csat", 0.95, True)}
    assert meets(figures(csat=0.9), "csat", custom) is False
    with pytest.raises(BadInput):
        meets(figures(), "tickets_created")


def test_change_is_current_minus_previous_in_seconds_for_durations() -> None:
    now = figures(tickets_created=12, csat=0.95, avg_first_response=timedelta(minutes=15))
    before = figures(tickets_created=10, csat=0.9, avg_first_response=timedelta(minutes=25))
    delta = change(now, before)
    assert set(delta) == set(FIGURES)
    assert delta["tickets_created"] == 2
    assert delta["csat"] == pytest.approx(0.05)
    assert delta["avg_first_response"] == -600.0
    assert delta["complaint_rate"] is None


def test_as_dict_is_json_ready_with_rounded_shares_and_seconds() -> None:
    got = as_dict(figures(tickets_created=3, csat=1 / 3, avg_resolution_time=timedelta(hours=1)))
    assert list(got) == list(FIGURES)
    assert (got["tickets_created"], got["csat"], got["avg_resolution_time"]) == (3, 0.3333, 3600.0)
    assert got["complaint_rate"] is None
    json.dumps(got)


# --- random histories ----------------------------------------------------------------------

GAPS = (0, 1, 7, 60, 600, 1440, 4000)  # minutes: ties, same-day and multi-day steps
LIVE = ("own", "reply", "escalate", "complain", "resolve", "note", "merge")
DONE = ("reopen", "csat", "csat", "merge")


class _Writer:
    """Emits one ticket's events in time order; ids grow with the calls."""

    def __init__(self, ids: itertools.count[int], events: list[Event], ticket: int) -> None:
        self.ids, self.events, self.ticket = ids, events, ticket

    def __call__(self, at: datetime, p: Payload) -> None:
        self.events.append(logged(next(self.ids), self.ticket, at, p))


def _step(draw: Callable[..., Any], emit: _Writer, at: datetime, state: dict[str, Any]) -> None:
    action = draw(st.sampled_from(DONE if state["resolved"] else LIVE))
    owner = state["owner"]
    if action == "own":
        kind = draw(st.sampled_from(sorted(OWNERSHIP_EVENTS)))
        state["owner"] = draw(st.sampled_from(AGENTS))
        emit(at, new_owner(kind, state["owner"], owner))
    elif action == "reply":
        emit(at, Reply(message_id=1))
    elif action == "escalate":
        emit(at, escalated(at))
    elif action == "complain":
        emit(at, Complaint(cause=ComplaintCause.ATTITUDE, second=draw(st.booleans())))
    elif action == "resolve":
        state["resolved"] = True
        emit(at, resolved(owner))
    elif action == "reopen":
        state["resolved"] = False
        emit(at, REOPENED)
    elif action == "csat":
        emit(at, Csat(score=draw(st.integers(0, 6)), owner=owner))
    else:
        emit(at, Note(message_id=1) if action == "note" else Merged(into=0))


@st.composite
def histories(draw: Callable[..., Any]) -> list[Event]:
    """A few tickets, each a random walk through take/transfer/reply/resolve/reopen/csat."""
    events: list[Event] = []
    ids = itertools.count(1)
    for ticket in range(1, draw(st.integers(0, 10)) + 1):
        emit = _Writer(ids, events, ticket)
        at = m(draw(st.integers(0, 40)) * 360)
        category = draw(st.sampled_from(sorted(Category)))
        if draw(st.integers(0, 9)):  # now and then the creation is missing from the log
            emit(at, created(category, draw(st.booleans())))
        state: dict[str, Any] = {"owner": None, "resolved": False}
        for _ in range(draw(st.integers(0, 8))):
            at += timedelta(minutes=draw(st.sampled_from(GAPS)))
            _step(draw, emit, at, state)
    events.append(logged(next(ids), None, T0, AgentAdded(agent="root", role=Role.ADMIN)))
    return events


@st.composite
def windows(draw: Callable[..., Any]) -> tuple[datetime | None, datetime | None]:
    bound = st.none() | st.integers(0, 20).map(lambda day: T0 + timedelta(hours=12 * day))
    return draw(bound), draw(bound)


# --- the plain reference replay ----------------------------------------------------------------


@dataclass
class Facts:
    created: datetime | None
    category: object
    complaint: bool
    second: bool
    owners: list[str]
    agent: str | None
    first_reply: datetime | None
    escalated: bool
    reopened: bool
    resolved: datetime | None
    resolver: str | None
    merged: bool
    answers: list[tuple[datetime, int, str | None]]


def owner_before(evs: Sequence[Event], index: int) -> str | None:
    owned = [e for e in evs[:index] if e.kind in OWNERSHIP_EVENTS]
    return owned[-1].new["owner"] if owned and owned[-1].new else None


def valid_score(score: object) -> bool:
    return type(score) is int and 1 <= score <= 5


def replay_ticket(evs: Sequence[Event]) -> Facts:
    kinds = [e.kind for e in evs]
    created = evs[kinds.index(EventKind.CREATED)] if EventKind.CREATED in kinds else None
    new = created.new or {} if created else {}
    found = [i for i, k in enumerate(kinds) if k == EventKind.RESOLVED]
    reopens = [i for i, k in enumerate(kinds) if k == EventKind.REOPENED]
    final = found[-1] if found and (not reopens or reopens[-1] < found[-1]) else None
    resolver = None
    if final is not None:
        resolver = (evs[final].new or {}).get("owner") or owner_before(evs, final)
    replies = [e.at for e in evs if e.kind == EventKind.REPLY]
    complaints = [e for e in evs if e.kind == EventKind.COMPLAINT]
    answers = [
        (e.at, e.new["score"], e.new.get("owner") or owner_before(evs, i))
        for i, e in enumerate(evs)
        if e.kind == EventKind.CSAT and e.new and valid_score(e.new.get("score"))
    ]
    return Facts(
        created=created.at if created else None,
        category=new.get("category"),
        complaint=bool(new.get("complaint"))
        or new.get("category") == Category.COMPLAINT
        or bool(complaints),
        second=any(e.new and e.new.get("second") for e in complaints),
        owners=[e.new["owner"] for e in evs if e.kind in OWNERSHIP_EVENTS and e.new],
        agent=resolver if final is not None else owner_before(evs, len(evs)),
        first_reply=replies[0] if replies else None,
        escalated=EventKind.ESCALATED in kinds,
        reopened=bool(reopens),
        resolved=evs[final].at if final is not None else None,
        resolver=resolver,
        merged=EventKind.MERGED in kinds,
        answers=answers,
    )


def replay(events: Sequence[Event]) -> list[Facts]:
    per_ticket: dict[int, list[Event]] = defaultdict(list)
    for e in events:
        if e.ticket_id is not None:
            per_ticket[e.ticket_id].append(e)
    return [replay_ticket(sorted(evs, key=lambda e: (e.at, e.id))) for evs in per_ticket.values()]


def share(part: list[Any], whole: list[Any]) -> float | None:
    return len(part) / len(whole) if whole else None


def mean(spans: list[timedelta]) -> timedelta | None:
    return sum(spans, timedelta()) / len(spans) if spans else None


def first_contact(f: Facts) -> bool:
    sole = f.resolver is not None and set(f.owners) <= {f.resolver}
    return sole and not f.escalated and not f.reopened


def span(start: datetime | None, end: datetime | None) -> timedelta:
    assert start is not None and end is not None
    return end - start


def expected(
    facts: list[Facts], since: datetime | None = None, until: datetime | None = None
) -> Metrics:
    def inside(at: datetime | None) -> bool:
        return at is not None and (since is None or at >= since) and (until is None or at < until)

    kept = [f for f in facts if f.created and not f.merged]
    made = [f for f in kept if inside(f.created)]
    complaints = [f for f in made if f.complaint]
    owned = [f for f in made if f.owners]
    done = [f for f in kept if inside(f.resolved)]
    first = [f for f in done if first_contact(f)]
    basic = [f for f in done if f.category in BASIC_CATEGORIES]
    scores = [a[1] for f in facts for a in f.answers if inside(a[0])]
    return Metrics(
        tickets_created=len(made),
        tickets_resolved=len(done),
        csat=share([s for s in scores if s >= 4], scores),
        very_satisfied=share([s for s in scores if s == 5], scores),
        csat_responses=len(scores),
        complaint_rate=share(complaints, made),
        second_complaint_rate=share([f for f in complaints if f.second], complaints),
        repeat_dispatch_rate=share([f for f in owned if len(set(f.owners)) > 1], owned),
        first_contact_resolution=share(first, done),
        basic_first_contact_resolution=share([f for f in basic if first_contact(f)], basic),
        avg_first_response=mean([span(f.created, f.first_reply) for f in made if f.first_reply]),
        avg_resolution_time=mean([span(f.created, f.resolved) for f in done]),
    )


# --- properties ------------------------------------------------------------------------------

fast = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(histories(), windows())
def test_compute_agrees_with_a_plain_per_ticket_replay(
    events: list[Event], window: tuple[datetime | None, datetime | None]
) -> None:
    since, until = window
    assert compute(events, since=since, until=until) == expected(replay(events), since, until)


@fast
@given(histories(), windows())
def test_rates_are_shares_and_durations_are_not_negative(
    events: list[Event], window: tuple[datetime | None, datetime | None]
) -> None:
    got = compute(events, since=window[0], until=window[1])
    for name in RATES:
        value = getattr(got, name)
        assert value is None or 0.0 <= value <= 1.0, name
    for span in (got.avg_first_response, got.avg_resolution_time):
        assert span is None or span >= timedelta(0)


@fast
@given(histories(), st.data())
def test_the_order_of_the_events_does_not_matter(events: list[Event], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(events))
    assert compute(shuffled) == compute(events)
    assert by_agent(shuffled) == by_agent(events)
    assert by_period(shuffled, period="day", tz=SHANGHAI) == by_period(
        events, period="day", tz=SHANGHAI
    )


def counts(got: Metrics) -> tuple[int, ...]:
    """The whole numbers behind the figures, recovered from the shares."""

    def part(rate: float | None, whole: int) -> int:
        return 0 if rate is None else round(rate * whole)

    complaints = part(got.complaint_rate, got.tickets_created)
    return (
        got.tickets_created,
        got.tickets_resolved,
        got.csat_responses,
        complaints,
        part(got.csat, got.csat_responses),
        part(got.first_contact_resolution, got.tickets_resolved),
        part(got.second_complaint_rate, complaints),
    )


def add(*rows: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sum(column) for column in zip(*rows, strict=True))


@fast
@given(histories(), st.integers(0, 20))
def test_two_halves_of_a_window_add_up_to_the_whole(events: list[Event], half_days: int) -> None:
    since, mid, until = T0, T0 + timedelta(hours=12 * half_days), T0 + timedelta(days=10)
    first = compute(events, since=since, until=mid)
    second = compute(events, since=mid, until=until)
    assert add(counts(first), counts(second)) == counts(compute(events, since=since, until=until))


@fast
@given(histories())
def test_per_agent_figures_add_up_to_the_totals_less_what_nobody_owns(events: list[Event]) -> None:
    facts = replay(events)
    kept = [f for f in facts if f.created and not f.merged]
    nobody = (
        len([f for f in kept if f.agent is None]),
        len([f for f in kept if f.resolved and f.agent is None]),
        len([a for f in facts for a in f.answers if a[2] is None]),
    )
    total = compute(events)
    rows = [counts(row)[:3] for row in by_agent(events).values()]
    assert add(*rows, nobody) == counts(total)[:3]


@fast
@given(histories())
def test_a_team_is_the_sum_of_its_agents(events: list[Event]) -> None:
    teams = {"ann": "morning", "bo": "morning", "cy": "night"}  # dan belongs to no team
    agents = by_agent(events)
    for team, got in by_team(events, teams).items():
        members = [counts(agents[a]) for a in agents if teams.get(a) == team]
        assert counts(got) == add(*members)


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


@fast
@given(histories(), windows(), st.sampled_from(PERIODS))
def test_each_period_row_is_compute_over_that_period(
    events: list[Event], window: tuple[datetime | None, datetime | None], period: Period
) -> None:
    since, until = window
    rows = by_period(events, period=period, tz=SHANGHAI, since=since, until=until)
    starts = [start for start, _ in rows]
    for i, (start, got) in enumerate(rows):
        end = next_period(start, period)
        assert starts[i + 1 : i + 2] in ([], [end])  # in order, with no gaps
        lo = max(filter(None, (since, local_midnight(start))))
        hi = min(filter(None, (until, local_midnight(end))))
        assert got == compute(events, since=lo, until=hi)
    total = compute(events, since=since, until=until)
    assert add(*[counts(row) for _, row in rows], (0,) * 7) == counts(total)


def test_figures_cover_every_metrics_field() -> None:
    assert tuple(f.name for f in fields(Metrics)) == FIGURES
