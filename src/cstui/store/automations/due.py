"""Finding due work, each kind by its own partial index, a keyset page at a time; and the
facts the rules read, loaded for a page of tickets or escalations at once.

Each query repeats its index's predicate literally (`schema.AUTOMATION_PREDICATES`): SQLite
uses a partial index only then. A sweep reads what can have fallen due since the last sweep
got to (less `GRACE`, for writes that committed while it ran) up to its `now`, and never
further back than the catch-up window, so its cost follows what is newly due, not how many
deadlines the store holds; the firings already recorded are dropped by key.

What this leaves out, on purpose: a deadline written already in the past of the last sweep
(a priority raised after its new first-response time had passed, a resumed clock whose
deadline was breached before the pause) is found only when it falls within `GRACE`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text

from cstui.domain import events, supervision
from cstui.domain.automations import (
    AutomationPolicy,
    EscalationFacts,
    EventFacts,
    Firing,
    GreenFacts,
    Rule,
    TicketFacts,
    opened_between,
)
from cstui.domain.escalation import is_complex
from cstui.domain.model import Department, EscalationState, EventKind, Priority, Tier
from cstui.store import rows as R
from cstui.store.schema import AUTOMATION_PREDICATES, OPEN_ESCALATION, UtcDateTime
from cstui.store.tx import Tx

PAGE = 1000
_TIMED = (bindparam("lo", type_=UtcDateTime()), bindparam("hi", type_=UtcDateTime()))
EVENT_KINDS = (
    EventKind.CSAT.value,
    EventKind.ESCALATION_STATE.value,
    EventKind.ROUTED.value,
    EventKind.COMPLAINT_WARNING.value,
    EventKind.TRANSFER_DENIED.value,
)
# Event ids are taken at insert, not at commit: on PostgreSQL a transaction may commit an
# event below the position a sweep already passed. Each sweep looks this many ids back
# again, but reads only the events among them written within `GRACE` of the last sweep (a
# late commit is a recent write); the firings' keys drop what was seen.
EVENT_OVERLAP = 2000


def _keyset(column: str, predicate: str, table: str, ref: str) -> Any:
    return text(
        f"SELECT id, {column}, {ref} FROM {table} WHERE {predicate} AND {column} >= :lo "
        f"AND {column} <= :hi AND ({column}, id) > (:after_at, :after) "
        f"ORDER BY {column}, id LIMIT :n"
    ).bindparams(*_TIMED, bindparam("after_at", type_=UtcDateTime()))


GREEN_MARK = "kind = 'green_channel'"
# name: (column, predicate, table, what it yields: the row's own id or its ticket's)
SOURCES: dict[str, tuple[str, str, str, str]] = {
    "first": ("first_response_due", AUTOMATION_PREDICATES["first"], "tickets", "id"),
    "next": ("next_response_due", AUTOMATION_PREDICATES["next"], "tickets", "id"),
    "vip": ("resolution_due", AUTOMATION_PREDICATES["vip_resolution"], "tickets", "id"),
    "follow_up": ("follow_up_due", AUTOMATION_PREDICATES["follow_up"], "tickets", "id"),
    "unowned": ("created_at", AUTOMATION_PREDICATES["unowned"], "tickets", "id"),
    "esc_due": ("due_at", OPEN_ESCALATION, "escalations", "id"),
    "esc_open": ("created_at", OPEN_ESCALATION, "escalations", "id"),
    # tickets that went green: by a green escalation, or by the supervisor's call (logged)
    "green_esc": ("created_at", f"{OPEN_ESCALATION} AND green = 1", "escalations", "ticket_id"),
    "green_mark": ("at", GREEN_MARK, "events", "ticket_id"),
}
QUERIES = {name: _keyset(*spec) for name, spec in SOURCES.items()}
ESCALATION_SOURCES = frozenset({"esc_due", "esc_open"})
GREEN_SOURCES = frozenset({"green_esc", "green_mark"})
# A deadline set a little before the last sweep's time (a write that committed while the
# sweep ran, or a server's clock a little behind) is still found: each sweep reads this far
# behind where the last one got to. Deadlines are set minutes ahead of their write, so a
# write that commits after a sweep read yet is due before that sweep's time has been open
# for minutes; everything re-read costs every sweep, so the margin is kept to that.
GRACE = timedelta(minutes=2)


def windows(
    now: datetime, policy: AutomationPolicy, swept: datetime | None = None
) -> dict[str, tuple[datetime, datetime]]:
    """Each source's [lo, hi]: what can have fallen due since the last sweep (`swept`,
    less `GRACE`; with none, the catch-up window) up to `now`."""
    lo = now - policy.catch_up
    if swept is not None and swept - GRACE > lo:
        lo = min(swept - GRACE, now)
    complex_lo, complex_hi = opened_between(lo, now, policy)
    shortest, longest = policy.unowned_waits()
    found = {
        "first": (lo, now + _lead(policy, "first_response")),
        "next": (lo, now + _lead(policy, "next_response")),
        "vip": (lo, now),
        "follow_up": (lo, now),
        # not from the last sweep's place: a ticket nobody on shift could take yet is tried
        # again each sweep (the index holds unowned active tickets only, a short list)
        "unowned": (now - policy.catch_up - longest, now - shortest),
        "esc_due": (lo, now),
        "esc_open": (complex_lo, complex_hi),
        "green_esc": (lo - policy.green_escalation, now - policy.green_warning),
        "green_mark": (lo - policy.green_escalation, now - policy.green_warning),
    }
    if not policy.on(Rule.AUTO_ASSIGN):
        del found["unowned"]  # off (the default): not even read
    return found


def _lead(policy: AutomationPolicy, name: str) -> timedelta:
    """The longest "at risk" lead before a deadline: `risk_starts` counts it in wall time
    back from the deadline, so it is the slowest target's unused share, nights or not."""
    table: dict[Priority, timedelta] = getattr(policy.sla, name)
    slowest = max(table.values()) * max([1.0, *policy.sla.tier_factor.values()])
    return slowest * (1 - policy.risk_share)


def due_ids(tx: Tx, source: str, lo: datetime, hi: datetime, page: int = PAGE) -> Iterator[int]:
    """The ids `source` yields (its rows' own, or their tickets') for rows whose column is
    in [lo, hi], in keyset pages."""
    query = QUERIES[source]
    after_at, after = lo, -1
    while True:
        params = {"lo": lo, "hi": hi, "after_at": after_at, "after": after, "n": page}
        rows = tx.conn.execute(query, params).all()
        for row in rows:
            if row[2] is not None:
                yield int(row[2])
        if len(rows) < page:
            return
        after = int(rows[-1][0])
        after_at = UtcDateTime().process_result_value(rows[-1][1], tx.conn.dialect) or hi


def _expanding(sql: str) -> Any:
    return text(sql).bindparams(bindparam("ids", expanding=True))


_TICKETS = _expanding(
    "SELECT t.id, a.name, t.priority, t.tier, t.first_response_due, t.next_response_due, "
    "t.resolution_due, t.follow_up_due, t.active, t.created_at FROM tickets t "
    "LEFT JOIN agents a ON a.id = t.owner_id WHERE t.id IN :ids"
)


def ticket_facts(tx: Tx, ids: Iterable[int]) -> list[TicketFacts]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    ts = UtcDateTime().process_result_value  # rows of text() come back as stored
    dialect = tx.conn.dialect
    out = []
    for r in tx.conn.execute(_TICKETS, {"ids": wanted}):
        out.append(
            TicketFacts(
                id=r[0],
                owner=r[1],
                priority=Priority(r[2]),
                tier=Tier(r[3]),
                first_response_due=ts(r[4], dialect),
                next_response_due=ts(r[5], dialect),
                resolution_due=ts(r[6], dialect),
                follow_up_due=ts(r[7], dialect),
                active=bool(r[8]),
                created_at=ts(r[9], dialect),
            )
        )
    return out


_ESCALATIONS = _expanding(
    "SELECT e.id, e.ticket_id, a.name, e.department, e.state, e.green, e.created_at, e.due_at, "
    "t.active FROM escalations e JOIN tickets t ON t.id = e.ticket_id "
    "LEFT JOIN agents a ON a.id = t.owner_id WHERE e.id IN :ids"
)
_DEPARTMENTS = _expanding("SELECT ticket_id, department FROM escalations WHERE ticket_id IN :ids")


def escalation_facts(tx: Tx, ids: Iterable[int]) -> list[EscalationFacts]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    ts = UtcDateTime().process_result_value
    dialect = tx.conn.dialect
    rows = tx.conn.execute(_ESCALATIONS, {"ids": wanted}).all()
    departments: dict[int, list[Department]] = {}
    tickets = sorted({r[1] for r in rows})
    if tickets:
        for ticket_id, dept in tx.conn.execute(_DEPARTMENTS, {"ids": tickets}):
            departments.setdefault(ticket_id, []).append(Department(dept))
    return [
        EscalationFacts(
            id=r[0],
            ticket_id=r[1],
            owner=r[2],
            department=Department(r[3]),
            state=EscalationState(r[4]),
            green=bool(r[5]),
            complex_case=is_complex(departments.get(r[1], [])),
            created_at=ts(r[6], dialect),  # type: ignore[arg-type]
            due_at=ts(r[7], dialect),  # type: ignore[arg-type]
            ticket_active=bool(r[8]),
        )
        for r in rows
    ]


_EVENTS = text(
    f"SELECT {R.EVENT_COLUMNS} FROM events WHERE id > :after AND kind IN :kinds "
    "AND (id > :position OR at >= :since) ORDER BY id LIMIT :n"
).bindparams(bindparam("kinds", expanding=True), bindparam("since", type_=UtcDateTime()))
_FIRST_SINCE = text("SELECT id FROM events WHERE at >= :lo ORDER BY at, id LIMIT 1").bindparams(
    bindparam("lo", type_=UtcDateTime())
)
_OWNERS = _expanding(
    "SELECT t.id, a.name FROM tickets t LEFT JOIN agents a ON a.id = t.owner_id WHERE t.id IN :ids"
)
_ESC_DEPARTMENT = _expanding("SELECT id, department FROM escalations WHERE id IN :ids")


def first_event_since(tx: Tx, lo: datetime) -> int:
    """Where a sweep with no position starts: the log's first event at or after `lo`."""
    found = tx.conn.execute(_FIRST_SINCE, {"lo": lo}).scalar()
    return int(found) - 1 if found is not None else last_event(tx)


def last_event(tx: Tx) -> int:
    return int(tx.conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM events")).scalar() or 0)


def event_facts(
    tx: Tx, after: int, position: int, since: datetime, page: int = PAGE
) -> tuple[list[EventFacts], int]:
    """The next page of events the event rules read, and the last id read: those past
    `position`, and of those at or before it (the overlap) the ones written at `since` or
    later."""
    params = {"after": after, "position": position, "since": since, "kinds": EVENT_KINDS}
    rows = [R.event_from_row(r) for r in tx.conn.execute(_EVENTS, params | {"n": page})]
    if not rows:
        return [], after
    tickets = sorted({e.ticket_id for e in rows if e.ticket_id is not None})
    owners = dict(tx.conn.execute(_OWNERS, {"ids": tickets}).all()) if tickets else {}
    facts: list[EventFacts] = []
    escalation_ids: dict[int, int] = {}
    for e in rows:
        if e.ticket_id is None:
            continue
        p = events.payload(e)
        owner = owners.get(e.ticket_id)
        if isinstance(p, events.Csat):
            facts.append(
                EventFacts(e.id, e.ticket_id, e.at, e.kind, p.owner or owner, score=p.score)
            )
        elif isinstance(p, events.EscalationStateChanged):
            escalation_ids[e.id] = p.escalation_id
            facts.append(EventFacts(e.id, e.ticket_id, e.at, e.kind, owner, state=p.state))
        elif isinstance(p, events.TransferDenied):
            facts.append(EventFacts(e.id, e.ticket_id, e.at, e.kind, owner, note=p.note))
        elif isinstance(p, events.Routed):
            facts.append(EventFacts(e.id, e.ticket_id, e.at, e.kind, p.owner))
        elif isinstance(p, events.ComplaintWarning):
            facts.append(EventFacts(e.id, e.ticket_id, e.at, e.kind, owner, reasons=p.reasons))
    if escalation_ids:
        depts = dict(
            tx.conn.execute(_ESC_DEPARTMENT, {"ids": sorted(set(escalation_ids.values()))}).all()
        )
        facts = [_with_department(f, depts.get(escalation_ids.get(f.id, 0))) for f in facts]
    return facts, rows[-1].id


def _with_department(f: EventFacts, department: str | None) -> EventFacts:
    if department is None:
        return f
    return replace(f, department=department)


# When a ticket went green, as the monitor's green board reads it.
_GREEN_COLUMNS = (
    "SELECT t.id, a.name, t.created_at, t.active, "
    "(SELECT MAX(e.at) FROM events e WHERE e.ticket_id = t.id AND e.kind = 'green_channel'), "
    "(SELECT MIN(x.created_at) FROM escalations x WHERE x.ticket_id = t.id AND x.green = 1) "
    "FROM tickets t LEFT JOIN agents a ON a.id = t.owner_id "
)
_GREEN_OF = _expanding(_GREEN_COLUMNS + "WHERE t.green_rank = 0 AND t.id IN :ids")


def green_facts(tx: Tx, ids: Iterable[int]) -> list[GreenFacts]:
    """The tickets of `ids` that are on the green channel, and since when."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = tx.conn.execute(_GREEN_OF, {"ids": wanted}).all()
    ts = UtcDateTime().process_result_value
    dialect = tx.conn.dialect
    out = []
    for r in rows:
        created = ts(r[2], dialect)
        assert created is not None  # created_at is NOT NULL
        since = supervision.green_since(created, (ts(r[4], dialect), ts(r[5], dialect)))
        out.append(GreenFacts(ticket_id=r[0], owner=r[1], since=since, active=bool(r[3])))
    return out


_FIRED = _expanding("SELECT rule, ticket_id, instance FROM firings WHERE ticket_id IN :ids")


def unfired(tx: Tx, firings: Iterable[Firing]) -> list[Firing]:
    """The firings whose key is not recorded yet (read only: `fire` is what guarantees)."""
    candidates = list(firings)
    tickets = sorted({f.ticket_id for f in candidates})
    if not tickets:
        return []
    fired: set[tuple[str, int, str]] = set()
    for start in range(0, len(tickets), PAGE):
        part = tickets[start : start + PAGE]
        fired.update((r[0], r[1], r[2]) for r in tx.conn.execute(_FIRED, {"ids": part}))
    return [f for f in candidates if f.key not in fired]
