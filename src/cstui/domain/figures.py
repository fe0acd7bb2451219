"""Quality figures kept as sums: what each ticket and each answer adds to an hour's row.

`metrics` replays the log. This module says what one ticket's facts (`metrics.TicketFacts`)
and one CSAT answer add to the row of the UTC hour they fall in, credited to one agent, as
whole numbers: counts, and durations in microseconds. Rows of whole numbers add up and
subtract exactly, so the store can keep them as the log grows (take out what a ticket added,
fold the new event in, put back what it adds now) and a window's figures are the sum of its
hours' rows, plus the facts at its ragged ends when it does not start or end on the hour.

Every figure is exact, none is an estimate: the shares are counts over counts, the two
durations are mean seconds (a sum over a count), and no figure is a median or a percentile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cstui.domain.metrics import Answer, Metrics, Tally, TicketFacts

# The columns of an hour's row, in the order of a vector.
COLUMNS: tuple[str, ...] = (
    "created",
    "complaints",
    "second_complaints",
    "owned",
    "redispatched",
    "replied",
    "first_response_us",
    "resolved",
    "first_contact",
    "basic_resolved",
    "basic_first_contact",
    "resolution_us",
    "answers",
    "satisfied",
    "very_satisfied",
)
_DURATIONS = {"first_response_us": "first_response", "resolution_us": "resolution_time"}
_US = timedelta(microseconds=1)
_HOUR = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_AGENT = ""  # the row key of what is credited to no agent (never an agent's name)

Vector = tuple[int, ...]
# What one ticket or answer adds: (when, the agent credited or None, the numbers).
Part = tuple[datetime, str | None, Vector]
ZERO: Vector = (0,) * len(COLUMNS)


def vector(t: Tally) -> Vector:
    """A tally as whole numbers (durations in microseconds)."""
    out: list[int] = []
    for name in COLUMNS:
        value = getattr(t, _DURATIONS.get(name, name))
        out.append(value // _US if isinstance(value, timedelta) else int(value))
    return tuple(out)


def tally(v: Sequence[int]) -> Tally:
    """The tally a vector stands for."""
    values: dict[str, object] = {}
    for name, value in zip(COLUMNS, v, strict=True):
        if name in _DURATIONS:
            values[_DURATIONS[name]] = timedelta(microseconds=int(value))
        else:
            values[name] = int(value)
    return Tally(**values)  # type: ignore[arg-type]


def plus(a: Sequence[int], b: Sequence[int], sign: int = 1) -> Vector:
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))


def hour_of(at: datetime) -> int:
    """Whole hours since the epoch: the row an instant falls in."""
    return (at - _EPOCH) // _HOUR


def hour_start(hour: int) -> datetime:
    return _EPOCH + hour * _HOUR


def ticket_parts(t: TicketFacts) -> list[Part]:
    """What a ticket adds where it was created and where it was finally resolved (none for
    a ticket whose CREATED is not in the log, or one merged into another)."""
    created = t.created_at
    if created is None or t.merged:
        return []
    agent = t.agent
    made = Tally()
    made.add_created(t, created)
    parts: list[Part] = [(created, agent, vector(made))]
    if t.resolved_at is not None:
        done = Tally()
        done.add_resolved(t, created, t.resolved_at)
        parts.append((t.resolved_at, agent, vector(done)))
    return parts


def answer_part(a: Answer) -> Part:
    said = Tally()
    said.add_answer(a)
    return (a.at, a.owner, vector(said))


@dataclass(slots=True)
class Sums:
    """Vectors added up per agent (NO_AGENT for what no agent is credited with)."""

    rows: dict[str, Vector] = field(default_factory=dict)

    def add(self, agent: str | None, v: Sequence[int], sign: int = 1) -> None:
        key = NO_AGENT if agent is None else agent
        self.rows[key] = plus(self.rows.get(key, ZERO), v, sign)

    def add_parts(self, parts: Iterable[Part]) -> None:
        for _at, agent, v in parts:
            self.add(agent, v)

    def quality(self) -> Quality:
        team = ZERO
        for v in self.rows.values():
            team = plus(team, v)
        agents = {
            a: tally(v).metrics()
            for a, v in sorted(self.rows.items())
            if a != NO_AGENT and v != ZERO  # an agent whose rows cancelled out counts nothing
        }
        return Quality(team=tally(team).metrics(), agents=agents)


@dataclass(frozen=True, slots=True)
class Quality:
    """A window's figures: the team's, and each credited agent's (`metrics.by_agent`)."""

    team: Metrics
    agents: Mapping[str, Metrics]
