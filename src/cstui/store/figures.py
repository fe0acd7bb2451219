"""The quality figures kept in the store as the log grows, and read back for any window.

Three tables (`schema.METRIC_*`): each ticket's facts as replayed so far, each valid CSAT
answer, and per UTC hour and credited agent the sums they add (`domain/figures.py`). They
change in the same transaction as the event that changes them (`Tx.event` calls
`note_event`), so they are never behind the log and never count an event twice:

- An event the figures ignore (a note, a status change) costs nothing.
- A figure event that comes after the ticket's last one in log order, (at, id), takes out
  what the ticket added, folds the event into its facts and puts back what it adds now.
- One that comes before it (history written late) replays that ticket from the log.

The hour rows' changes wait in the connection until the write commits (`flush`): then they
are written in key order, so two transactions never take the same rows in opposite orders,
and a transaction that wrote several events of one ticket writes its rows once.

`rebuild` makes all three from the log alone, in id ranges of tickets, in bounded memory;
the bulk seed and the import call it, and so does `cstui metrics rebuild`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.engine import Connection, RowMapping

from cstui.domain import figures as F
from cstui.domain import metrics as m
from cstui.domain.model import Event
from cstui.store import rows as R
from cstui.store.schema import EVENTS, METRIC_ANSWERS, METRIC_HOURS, METRIC_TICKETS

# Off only to measure what keeping the figures costs (bench/figures.py); a store that
# appends with it off has figures behind its log until `rebuild`.
KEEP = True

_PENDING = "cstui_figures_pending"
Deltas = dict[tuple[int, str], F.Vector]
_FLAGS = ("basic", "complaint", "second_complaint", "escalated", "reopened", "merged")
_TIMES = ("created_at", "first_reply_at", "resolved_at")


# -- the facts row --------------------------------------------------------------------------


def _facts(row: RowMapping) -> m.TicketFacts:
    t = m.TicketFacts()
    for name in _FLAGS:
        setattr(t, name, bool(row[name]))
    for name in _TIMES:
        setattr(t, name, row[name])
    t.owners = set(json.loads(row["owners"]))
    t.owner, t.resolver = row["owner"], row["resolver"]
    return t


def _facts_row(ticket_id: int, t: m.TicketFacts, last: Event) -> dict[str, Any]:
    row: dict[str, Any] = {name: int(getattr(t, name)) for name in _FLAGS}
    row.update({name: getattr(t, name) for name in _TIMES})
    row.update(
        ticket_id=ticket_id,
        owners=json.dumps(sorted(t.owners), ensure_ascii=False),
        owner=t.owner,
        resolver=t.resolver,
        last_at=last.at,
        last_id=last.id,
    )
    return row


def _answer_row(ticket_id: int, event_id: int, a: m.Answer) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "event_id": event_id,
        "at": a.at,
        "score": a.score,
        "owner": a.owner,
    }


def _answer(row: RowMapping) -> m.Answer:
    return m.Answer(at=row["at"], score=row["score"], owner=row["owner"])


# -- the hour rows ------------------------------------------------------------------------


def _add(deltas: Deltas, parts: Iterable[F.Part], sign: int = 1) -> None:
    for at, agent, v in parts:
        key = (F.hour_of(at), F.NO_AGENT if agent is None else agent)
        deltas[key] = F.plus(deltas.get(key, F.ZERO), v, sign)


def defer(conn: Connection) -> None:
    """From now until `flush`, hour rows' changes wait in the connection."""
    conn.info[_PENDING] = {}


def discard(conn: Connection) -> None:
    """The write did not commit: what waited goes with it."""
    conn.info.pop(_PENDING, None)


def flush(conn: Connection) -> None:
    """Write what waited, just before the commit."""
    pending: Deltas | None = conn.info.pop(_PENDING, None)
    if pending:
        _upsert(conn, pending)


def _apply(conn: Connection, deltas: Deltas) -> None:
    pending: Deltas | None = conn.info.get(_PENDING)
    if pending is None:
        _upsert(conn, deltas)
        return
    for key, v in deltas.items():
        pending[key] = F.plus(pending.get(key, F.ZERO), v)


# One statement for both databases (SQLite and PostgreSQL share ON CONFLICT … excluded),
# made once: building the expression per write cost more than the write itself.
_UPSERT = text(
    f"INSERT INTO metric_hours (hour, agent, {', '.join(F.COLUMNS)}) "
    f"VALUES (:hour, :agent, {', '.join(':' + c for c in F.COLUMNS)}) "
    "ON CONFLICT (hour, agent) DO UPDATE SET "
    + ", ".join(f"{c} = metric_hours.{c} + excluded.{c}" for c in F.COLUMNS)
)


def _upsert(conn: Connection, deltas: Mapping[tuple[int, str], F.Vector]) -> None:
    rows = [
        {"hour": hour, "agent": agent, **dict(zip(F.COLUMNS, v, strict=True))}
        for (hour, agent), v in sorted(deltas.items())
        if v != F.ZERO
    ]
    if rows:
        conn.execute(_UPSERT, rows)


# -- as the log grows ---------------------------------------------------------------------


# Made once, for the same reason as `_UPSERT` (each is compiled once and cached).
_FACTS_OF = (
    select(METRIC_TICKETS)
    .where(METRIC_TICKETS.c.ticket_id == bindparam("tid"))
    .with_for_update()  # SQLite: nothing (one writer); PostgreSQL: the row's lock
)
_NEW_FACTS = insert(METRIC_TICKETS)
_SET_FACTS = update(METRIC_TICKETS).where(METRIC_TICKETS.c.ticket_id == bindparam("tid"))


def note_event(conn: Connection, e: Event) -> None:
    """Fold one newly appended event into the figures (see the module docstring)."""
    if not KEEP or e.ticket_id is None or e.kind not in m.FIGURE_KINDS:
        return
    row = conn.execute(_FACTS_OF, {"tid": e.ticket_id}).mappings().first()
    if row is not None and (e.at, e.id) < (row["last_at"], row["last_id"]):
        _refold(conn, e.ticket_id, row)
        return
    facts = m.TicketFacts() if row is None else _facts(row)
    deltas: Deltas = {}
    _add(deltas, F.ticket_parts(facts), -1)
    answer = m.fold(facts, e)
    _add(deltas, F.ticket_parts(facts))
    if answer is not None:
        conn.execute(insert(METRIC_ANSWERS), _answer_row(e.ticket_id, e.id, answer))
        _add(deltas, [F.answer_part(answer)])
    values = _facts_row(e.ticket_id, facts, e)
    if row is None:
        conn.execute(_NEW_FACTS, values)
    else:
        conn.execute(_SET_FACTS, {**values, "tid": e.ticket_id})
    _apply(conn, deltas)


def _refold(conn: Connection, ticket_id: int, row: RowMapping) -> None:
    """Replay one ticket from the log: its old share out, its new share in."""
    deltas: Deltas = {}
    _add(deltas, F.ticket_parts(_facts(row)), -1)
    answers = select(METRIC_ANSWERS).where(METRIC_ANSWERS.c.ticket_id == ticket_id)
    _add(deltas, (F.answer_part(_answer(a)) for a in conn.execute(answers).mappings()), -1)
    conn.execute(delete(METRIC_ANSWERS).where(METRIC_ANSWERS.c.ticket_id == ticket_id))
    conn.execute(delete(METRIC_TICKETS).where(METRIC_TICKETS.c.ticket_id == ticket_id))
    events = select(EVENTS).where(EVENTS.c.ticket_id == ticket_id)
    own = [R.event_from_row(r) for r in conn.execute(events)]
    facts_rows, answer_rows = _replayed({ticket_id: own}, deltas)
    _insert_all(conn, facts_rows, answer_rows)
    _apply(conn, deltas)


def _replayed(
    grouped: Mapping[int, list[Event]], deltas: Deltas
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Facts and answer rows of these tickets' whole logs; what they add goes to `deltas`."""
    facts_rows: list[dict[str, Any]] = []
    answer_rows: list[dict[str, Any]] = []
    for ticket_id, own in grouped.items():
        own.sort(key=lambda e: (e.at, e.id))
        facts, last = m.TicketFacts(), None
        for e in own:
            if e.kind not in m.FIGURE_KINDS:
                continue
            last = e
            if (answer := m.fold(facts, e)) is not None:
                answer_rows.append(_answer_row(ticket_id, e.id, answer))
                _add(deltas, [F.answer_part(answer)])
        if last is not None:
            facts_rows.append(_facts_row(ticket_id, facts, last))
            _add(deltas, F.ticket_parts(facts))
    return facts_rows, answer_rows


def _insert_all(
    conn: Connection, facts: list[dict[str, Any]], answers: list[dict[str, Any]]
) -> None:
    if facts:
        conn.execute(insert(METRIC_TICKETS), facts)
    if answers:
        conn.execute(insert(METRIC_ANSWERS), answers)


# -- from the log alone -------------------------------------------------------------------


def rebuild(conn: Connection, *, batch: int = 2000) -> dict[str, int]:
    """All three tables made again from the log, in this transaction; what was made."""
    for table in (METRIC_HOURS, METRIC_ANSWERS, METRIC_TICKETS):
        conn.execute(delete(table))
    deltas: Deltas = {}
    tickets = answers = 0
    for grouped in _tickets_in_ranges(conn, batch):
        facts_rows, answer_rows = _replayed(grouped, deltas)
        _insert_all(conn, facts_rows, answer_rows)
        tickets, answers = tickets + len(facts_rows), answers + len(answer_rows)
    _upsert(conn, deltas)
    return {"tickets": tickets, "answers": answers, "hours": len(deltas)}


def _tickets_in_ranges(conn: Connection, batch: int) -> Iterator[dict[int, list[Event]]]:
    """Every ticket's events, `batch` ticket ids at a time (the (ticket_id, id) index)."""
    bounds = select(func.min(EVENTS.c.ticket_id), func.max(EVENTS.c.ticket_id))
    low, high = conn.execute(bounds).one()
    if low is None:
        return
    kinds = sorted(k.value for k in m.FIGURE_KINDS)
    for start in range(low, high + 1, batch):
        q = select(EVENTS).where(
            EVENTS.c.ticket_id >= start,
            EVENTS.c.ticket_id < start + batch,
            EVENTS.c.kind.in_(kinds),
        )
        grouped: dict[int, list[Event]] = {}
        for r in conn.execute(q):
            e = R.event_from_row(r)
            grouped.setdefault(r[1], []).append(e)
        if grouped:
            yield grouped


# -- reading ------------------------------------------------------------------------------


def quality(conn: Connection, *, since: datetime | None, until: datetime | None) -> F.Quality:
    """The figures of [since, until): whole hours from their rows, the ends from the facts."""
    sums = F.Sums()
    first = None if since is None else _ceil_hour(since)
    last = None if until is None else F.hour_of(until)
    if since is not None and until is not None and _ceil_hour(since) >= F.hour_of(until):
        _ends(conn, sums, since, until)  # no whole hour inside: the window is all end
        return sums.quality()
    _hours(conn, sums, first, last)
    if since is not None and first is not None and since < F.hour_start(first):
        _ends(conn, sums, since, F.hour_start(first))
    if until is not None and last is not None and F.hour_start(last) < until:
        _ends(conn, sums, F.hour_start(last), until)
    return sums.quality()


def _ceil_hour(at: datetime) -> int:
    hour = F.hour_of(at)
    return hour if F.hour_start(hour) == at else hour + 1


def _hours(conn: Connection, sums: F.Sums, first: int | None, last: int | None) -> None:
    h = METRIC_HOURS.c
    q = select(h.agent, *(func.sum(h[c]) for c in F.COLUMNS)).group_by(h.agent)
    if first is not None:
        q = q.where(h.hour >= first)
    if last is not None:
        q = q.where(h.hour < last)
    for r in conn.execute(q):
        sums.add(r[0], [int(x or 0) for x in r[1:]])


def _ends(conn: Connection, sums: F.Sums, since: datetime, until: datetime) -> None:
    """What tickets created or resolved, and answers given, in [since, until) add: exact,
    from the facts (by their indexes), for a part of a window shorter than an hour."""
    t = METRIC_TICKETS.c
    inside = or_(
        (t.created_at >= since) & (t.created_at < until),
        (t.resolved_at >= since) & (t.resolved_at < until),
    )
    for row in conn.execute(select(METRIC_TICKETS).where(inside)).mappings():
        sums.add_parts(p for p in F.ticket_parts(_facts(row)) if since <= p[0] < until)
    a = METRIC_ANSWERS.c
    said = select(METRIC_ANSWERS).where(a.at >= since, a.at < until)
    sums.add_parts(F.answer_part(_answer(r)) for r in conn.execute(said).mappings())
