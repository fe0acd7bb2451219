"""Quality figures (质检指标) computed from the append-only event log, never from counters.

Counters on a ticket row can drift, be edited or be lost; the log cannot. So every figure here
is a replay: each ticket's events are put in log order, (at, id), so the input may come in any
order; one pass builds a few facts per ticket, and a second pass over those facts adds them up.
Only a ticket's own few events are ever sorted, so a million events take seconds.

Facts about a ticket come from its whole history in the log given, whatever the window: a
transfer, an escalation or a reopening after `until` still counts against it. The window
[since, until) only selects which tickets and answers are counted. To get figures "as they
stood" at some moment, pass the log cut at that moment.

What each figure counts, for a window [since, until):

- Tickets are counted only when their CREATED event is in the log, and never when they were
  merged into another ticket (MERGED, recorded on the duplicate): a duplicate is not new work.
- Created-based figures take the tickets whose CREATED event is in the window:
  ``tickets_created``; ``complaint_rate`` = complaint tickets / tickets created, a complaint
  ticket being one created as a complaint (``complaint`` flag or category ``complaint``) or
  with a COMPLAINT event; ``second_complaint_rate`` = those complaint tickets with a COMPLAINT
  marked ``second`` (二次投诉) / complaint tickets; ``repeat_dispatch_rate`` = tickets that had
  two or more distinct owners / tickets that had any owner (重复派单率); ``avg_first_response``
  = mean of created -> first REPLY over the tickets that got a reply (unanswered ones are left
  out, not counted as zero).
- Resolution figures take the tickets whose final resolution is in the window. A ticket's
  final resolution is its last RESOLVED event, provided no REOPENED follows it: a ticket that
  was reopened and not resolved again is not resolved. So each ticket is resolved in at most
  one window: ``tickets_resolved``; ``first_contact_resolution`` = resolved tickets with at
  most one owner ever, resolved by that owner, never escalated and never reopened / resolved
  tickets; ``basic_first_contact_resolution`` = the same over BASIC_CATEGORIES only;
  ``avg_resolution_time`` = mean of created -> final RESOLVED.
- Satisfaction figures take every CSAT answer in the window (scores outside 1..5 are ignored,
  answers on merged tickets count: the customer did answer): ``csat`` = share scoring 4-5,
  ``very_satisfied`` = share scoring 5.

Per agent, a ticket belongs to its owner at the final resolution (RESOLVED.new.owner), or to
its latest owner when it is not resolved; a ticket that never had an owner belongs to no
agent, so per-agent sums can fall short of the totals by exactly those tickets. An answer
belongs to CSAT.new.owner (or the ticket's owner at that time).

Payloads are read as `cstui.domain.events` classes: a payload that does not fit its kind
raises `MalformedEvent` instead of being guessed at (the store writes only what fits).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import Literal

from cstui.domain.events import Complaint, Created, Csat, OwnerChange, Resolved, payload_as
from cstui.domain.model import BASIC_CATEGORIES, OWNERSHIP_EVENTS, Category, Event, EventKind
from cstui.errors import BadInput

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Metrics:
    """The quality figures of one window; a rate is None when its denominator is zero."""

    tickets_created: int
    tickets_resolved: int
    csat: float | None
    very_satisfied: float | None
    csat_responses: int
    complaint_rate: float | None
    second_complaint_rate: float | None
    repeat_dispatch_rate: float | None
    first_contact_resolution: float | None
    basic_first_contact_resolution: float | None
    avg_first_response: timedelta | None
    avg_resolution_time: timedelta | None


FIGURES: tuple[str, ...] = tuple(f.name for f in fields(Metrics))


@dataclass(frozen=True, slots=True)
class Target:
    """A documented target: `value` is a share, or seconds for a duration figure."""

    name: str
    value: float
    higher_is_better: bool


# The documents' own targets (DOMAIN.md); callers may pass their own mapping to `meets`.
# Left out on purpose: "very satisfied up 5 points" is relative to an earlier period (use
# `change`), and "≤ 3 working days" is for complex multi-department cases, not every ticket.
TARGETS: Mapping[str, Target] = MappingProxyType(
    {
        t.name: t
        for t in (
            Target("csat", 0.90, True),
            Target("complaint_rate", 0.02, False),
            Target("second_complaint_rate", 0.015, False),
            Target("repeat_dispatch_rate", 0.08, False),
            Target("basic_first_contact_resolution", 0.98, True),
            Target("avg_first_response", 20 * 60.0, False),
        )
    }
)


# --- pass 1: per-ticket facts ------------------------------------------------------------


@dataclass(slots=True)
class TicketFacts:
    """What the replay learns about one ticket; mutable only while the log is replayed."""

    created_at: datetime | None = None
    basic: bool = False
    complaint: bool = False
    second_complaint: bool = False
    owners: set[str] = field(default_factory=set)
    owner: str | None = None
    first_reply_at: datetime | None = None
    escalated: bool = False
    reopened: bool = False
    resolved_at: datetime | None = None
    resolver: str | None = None
    merged: bool = False

    @property
    def agent(self) -> str | None:
        """The agent the ticket is credited to: the resolver, else the latest owner."""
        return self.resolver if self.resolved_at is not None else self.owner

    @property
    def first_contact(self) -> bool:
        """首问负责制 worked: one owner from start to finish, no escalation, no comeback."""
        sole = self.resolver is not None and self.owners <= {self.resolver}
        return sole and not self.escalated and not self.reopened


@dataclass(frozen=True, slots=True)
class Answer:
    """One satisfaction answer (CSAT), credited to `owner`."""

    at: datetime
    score: int
    owner: str | None


def _on_created(t: TicketFacts, e: Event) -> None:
    """The first CREATED wins: a replayed or duplicated one must not move the start."""
    created = payload_as(Created, e)
    if t.created_at is not None:
        return
    t.created_at = e.at
    t.basic = created.category in BASIC_CATEGORIES
    t.complaint = t.complaint or created.complaint or created.category is Category.COMPLAINT


def _on_owner(t: TicketFacts, e: Event) -> None:
    t.owner = payload_as(OwnerChange, e).owner
    t.owners.add(t.owner)


def _on_reply(t: TicketFacts, e: Event) -> None:
    if t.first_reply_at is None:
        t.first_reply_at = e.at


def _on_escalated(t: TicketFacts, e: Event) -> None:
    t.escalated = True


def _on_complaint(t: TicketFacts, e: Event) -> None:
    t.complaint = True
    t.second_complaint = t.second_complaint or payload_as(Complaint, e).second


def _on_resolved(t: TicketFacts, e: Event) -> None:
    t.resolved_at = e.at
    t.resolver = payload_as(Resolved, e).owner or t.owner


def _on_reopened(t: TicketFacts, e: Event) -> None:
    """A comeback undoes the resolution: the ticket is open work again."""
    t.reopened = True
    t.resolved_at = None
    t.resolver = None


def _on_merged(t: TicketFacts, e: Event) -> None:
    t.merged = True


_Handler = Callable[[TicketFacts, Event], None]
_HANDLERS: Mapping[EventKind, _Handler] = {
    EventKind.CREATED: _on_created,
    EventKind.REPLY: _on_reply,
    EventKind.ESCALATED: _on_escalated,
    EventKind.COMPLAINT: _on_complaint,
    EventKind.RESOLVED: _on_resolved,
    EventKind.REOPENED: _on_reopened,
    EventKind.MERGED: _on_merged,
    **{kind: _on_owner for kind in OWNERSHIP_EVENTS},
}


def _answer(t: TicketFacts, e: Event) -> Answer | None:
    """A 1..5 score, or None: a score out of range must not skew the shares."""
    answer = payload_as(Csat, e)
    if not 1 <= answer.score <= 5:
        return None
    return Answer(at=e.at, score=answer.score, owner=answer.owner or t.owner)


def _order(e: Event) -> tuple[datetime, int]:
    return (e.at, e.id)


def _by_ticket(events: Iterable[Event]) -> dict[int, list[Event]]:
    """Each ticket's events, in log order: only a ticket's own order matters to its facts.

    Sorting many short lists instead of one long one keeps the whole replay near-linear.
    """
    grouped: dict[int, list[Event]] = {}
    for e in events:
        if e.ticket_id is not None:
            own = grouped.get(e.ticket_id)
            if own is None:
                grouped[e.ticket_id] = [e]
            else:
                own.append(e)
    for own in grouped.values():
        own.sort(key=_order)
    return grouped


# The kinds that change a figure: any other event leaves every figure as it was.
FIGURE_KINDS = frozenset({*_HANDLERS, EventKind.CSAT})


def fold(t: TicketFacts, e: Event) -> Answer | None:
    """One event, the next in the ticket's log order, into its facts; a valid CSAT answer
    is returned (it belongs to the window it was given in, not to the ticket)."""
    if e.kind is EventKind.CSAT:
        return _answer(t, e)
    if (handler := _HANDLERS.get(e.kind)) is not None:
        handler(t, e)
    return None


def _replay_ticket(events: list[Event], answers: list[Answer]) -> TicketFacts:
    """One ticket's facts; its valid CSAT answers are appended to `answers`."""
    t = TicketFacts()
    for e in events:
        if (answer := fold(t, e)) is not None:
            answers.append(answer)
    return t


def _replay(events: Iterable[Event]) -> tuple[list[TicketFacts], list[Answer]]:
    """Facts for every ticket, and every CSAT answer, in one pass over the log."""
    answers: list[Answer] = []
    tickets = [_replay_ticket(own, answers) for own in _by_ticket(events).values()]
    return tickets, answers


# --- pass 2: adding up -------------------------------------------------------------------


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _mean(total: timedelta, count: int) -> timedelta | None:
    return total / count if count else None


@dataclass(slots=True)
class Tally:
    """Running sums for one group; mutable so that adding up stays one cheap pass."""

    created: int = 0
    complaints: int = 0
    second_complaints: int = 0
    owned: int = 0
    redispatched: int = 0
    replied: int = 0
    first_response: timedelta = _ZERO
    resolved: int = 0
    first_contact: int = 0
    basic_resolved: int = 0
    basic_first_contact: int = 0
    resolution_time: timedelta = _ZERO
    answers: int = 0
    satisfied: int = 0
    very_satisfied: int = 0

    def add_created(self, t: TicketFacts, created_at: datetime) -> None:
        self.created += 1
        self.complaints += t.complaint
        self.second_complaints += t.complaint and t.second_complaint
        self.owned += bool(t.owners)
        self.redispatched += len(t.owners) > 1
        if t.first_reply_at is not None:
            self.replied += 1
            self.first_response += max(_ZERO, t.first_reply_at - created_at)

    def add_resolved(self, t: TicketFacts, created_at: datetime, resolved_at: datetime) -> None:
        first = t.first_contact
        self.resolved += 1
        self.first_contact += first
        self.basic_resolved += t.basic
        self.basic_first_contact += t.basic and first
        self.resolution_time += max(_ZERO, resolved_at - created_at)

    def add_answer(self, a: Answer) -> None:
        self.answers += 1
        self.satisfied += a.score >= 4
        self.very_satisfied += a.score == 5

    def metrics(self) -> Metrics:
        return Metrics(
            tickets_created=self.created,
            tickets_resolved=self.resolved,
            csat=_ratio(self.satisfied, self.answers),
            very_satisfied=_ratio(self.very_satisfied, self.answers),
            csat_responses=self.answers,
            complaint_rate=_ratio(self.complaints, self.created),
            second_complaint_rate=_ratio(self.second_complaints, self.complaints),
            repeat_dispatch_rate=_ratio(self.redispatched, self.owned),
            first_contact_resolution=_ratio(self.first_contact, self.resolved),
            basic_first_contact_resolution=_ratio(self.basic_first_contact, self.basic_resolved),
            avg_first_response=_mean(self.first_response, self.replied),
            avg_resolution_time=_mean(self.resolution_time, self.resolved),
        )


# Puts a contribution (credited agent, when it happened) in a group; None leaves it out.
_Grouper = Callable[[str | None, datetime], Hashable | None]


@dataclass(frozen=True, slots=True)
class _Window:
    since: datetime | None
    until: datetime | None

    def holds(self, at: datetime) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)


def _tally_for(tallies: dict[Hashable, Tally], key: Hashable | None) -> Tally | None:
    if key is None:
        return None
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = Tally()
    return tally


def _add_ticket(
    tallies: dict[Hashable, Tally], t: TicketFacts, group: _Grouper, w: _Window
) -> None:
    """A ticket counts where it was created and, separately, where it was finally resolved."""
    created, resolved = t.created_at, t.resolved_at
    if created is None or t.merged:
        return
    agent = t.agent
    if w.holds(created) and (tally := _tally_for(tallies, group(agent, created))):
        tally.add_created(t, created)
    if resolved and w.holds(resolved) and (tally := _tally_for(tallies, group(agent, resolved))):
        tally.add_resolved(t, created, resolved)


def _tallies(events: Iterable[Event], group: _Grouper, w: _Window) -> dict[Hashable, Tally]:
    tickets, answers = _replay(events)
    tallies: dict[Hashable, Tally] = {}
    for t in tickets:
        _add_ticket(tallies, t, group, w)
    for a in answers:
        if w.holds(a.at) and (tally := _tally_for(tallies, group(a.owner, a.at))):
            tally.add_answer(a)
    return tallies


def _grouped(
    events: Iterable[Event], group: _Grouper, since: datetime | None, until: datetime | None
) -> dict[Hashable, Metrics]:
    tallies = _tallies(events, group, _Window(since, until))
    return {key: tally.metrics() for key, tally in tallies.items()}


# --- the public figures ------------------------------------------------------------------


def compute(
    events: Iterable[Event], *, since: datetime | None = None, until: datetime | None = None
) -> Metrics:
    """The team's figures for [since, until); see the module docstring for what counts."""
    whole = _grouped(events, lambda agent, at: "", since, until)
    return whole.get("", Tally().metrics())


def by_agent(
    events: Iterable[Event], *, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Metrics]:
    """Per agent, crediting each ticket to whoever had it at the end (首问负责制)."""
    grouped = _grouped(events, lambda agent, at: agent, since, until)
    return {str(agent): m for agent, m in grouped.items()}


def by_team(
    events: Iterable[Event],
    teams: Mapping[str, str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Metrics]:
    """Per team (e.g. a shift): agents missing from `teams` are left out, not guessed."""
    grouped = _grouped(events, lambda agent, at: teams.get(agent) if agent else None, since, until)
    return {str(team): m for team, m in grouped.items()}


def period_start(at: datetime, period: Period, tz: tzinfo) -> date:
    """The local date a period starts on: the day, its Monday, or the 1st of its month."""
    day = at.astimezone(tz).date()
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if period == "month" else day


def next_period(start: date, period: Period) -> date:
    """The start of the period after the one starting on `start`."""
    if period == "month":
        year, month = divmod(start.year * 12 + start.month, 12)
        return date(year, month + 1, 1)
    return start + timedelta(days=7 if period == "week" else 1)


def _starts(first: date, last: date, period: Period) -> list[date]:
    starts: list[date] = []
    while first <= last:
        starts.append(first)
        first = next_period(first, period)
    return starts


def by_period(
    events: Iterable[Event],
    *,
    period: Period,
    tz: tzinfo,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[date, Metrics]]:
    """One row per local day, week (from Monday) or month, in order, with no gaps.

    The rows run from the period holding `since` (else the first busy one) to the period
    holding `until` (else the last busy one). Each row equals `compute` over that period cut
    to [since, until), so rows add up to the whole.
    """
    if period not in PERIODS:
        raise BadInput(f"period: expected one of {', '.join(PERIODS)}, got {period!r}")
    grouped = _grouped(events, lambda agent, at: period_start(at, period, tz), since, until)
    busy = sorted(d for d in grouped if isinstance(d, date))
    first = period_start(since, period, tz) if since else (busy[0] if busy else None)
    last = period_start(until - timedelta.resolution, period, tz) if until else None
    last = last or (busy[-1] if busy else first)
    if first is None or last is None:
        return []
    empty = Tally().metrics()
    return [(d, grouped.get(d, empty)) for d in _starts(first, last, period)]


# --- judging and comparing ---------------------------------------------------------------


def figure(metrics: Metrics, name: str) -> float | None:
    """A figure as a plain number: a share, a count, or seconds for a duration."""
    if name not in FIGURES:
        raise BadInput(f"figure: unknown {name!r}; expected one of {', '.join(FIGURES)}")
    value = getattr(metrics, name)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return None if value is None else float(value)


def meets(metrics: Metrics, name: str, targets: Mapping[str, Target] = TARGETS) -> bool | None:
    """Whether a figure is on target; None when there is nothing to judge yet."""
    target = targets.get(name)
    if target is None:
        raise BadInput(f"figure: no target for {name!r}; targets: {', '.join(targets)}")
    value = figure(metrics, name)
    if value is None:
        return None
    return value >= target.value if target.higher_is_better else value <= target.value


def change(current: Metrics, previous: Metrics) -> dict[str, float | None]:
    """Per figure, current minus previous (seconds for durations): the period-on-period view."""
    deltas: dict[str, float | None] = {}
    for name in FIGURES:
        now, before = figure(current, name), figure(previous, name)
        deltas[name] = None if now is None or before is None else now - before
    return deltas


def as_dict(metrics: Metrics) -> dict[str, object]:
    """JSON-ready: counts stay ints, shares round to 4 places, durations become seconds."""
    out: dict[str, object] = {}
    for name in FIGURES:
        value = getattr(metrics, name)
        if isinstance(value, timedelta):
            value = value.total_seconds()
        out[name] = round(value, 4) if isinstance(value, float) else value
    return out
