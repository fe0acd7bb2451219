"""Ticket search: `status:open tier:vip owner:me created>2026-11-01 退款` over every ticket.

The query language is parsed by `search.ticket_query` (pure); the words are looked up in
the tickets' index (`store.ticket_index`: FTS5 on SQLite, tsvector on PostgreSQL) and the
filters are conditions on the ticket rows.

Ranking is by where the words were found, in tiers: identifiers first (ticket id, order or
tracking number, phone or its last four digits: a customer reading out a number wants that
ticket, not every message that quotes it), then subject or customer name, then the thread.
Within a tier the newest ticket comes first. Each tier is one index query in id order, so a
page is keyset-paged on (tier, id) — never OFFSET, no cap on how deep one pages — and a
word found in a third of a million tickets costs what a rare one does: the index streams
its doclist newest first and stops at the page's end. A ticket is in one tier only (the
first whose fields hold every word), so pages never repeat one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from cstui.domain.model import MatchField, Page, Ticket, TicketHit, TicketMatch
from cstui.errors import BadInput, NotFound
from cstui.search.query import Query, highlight, snippet
from cstui.search.segment import normalize
from cstui.search.ticket_query import Filter, TicketQuery, parse_ticket_query
from cstui.store import rows as R
from cstui.store.schema import UtcDateTime
from cstui.store.tx import Tx

MAX_LIMIT = 500
IDS, HEAD, BODY, ROWS = 0, 1, 2, 3  # the tiers; ROWS: a query of filters only
TEXT_TIERS = (IDS, HEAD, BODY)
PG_SPARSE = 2_000  # fewer matches than this are fetched through GIN and sorted (PostgreSQL)
PG_SURELY_DENSE = 20 * PG_SPARSE  # the planner's estimate above which no count is needed
_CURSOR_RE = re.compile(r"^([0-3])\.(\d{1,10})$")
_COLUMNS = {"status", "priority", "channel", "category", "tier"}
_FTS5_TIER = {
    IDS: "{{ids}} : ({q})",
    HEAD: "({{ids head}} : ({q})) NOT ({{ids}} : ({q}))",
    BODY: "({q}) NOT ({{ids head}} : ({q}))",
}
_PG_TIER = {
    IDS: "s.ids @@ CAST(:q AS tsquery)",
    HEAD: "s.head @@ CAST(:q AS tsquery) AND NOT s.ids @@ CAST(:q AS tsquery)",
    BODY: "s.doc @@ CAST(:q AS tsquery) AND NOT s.head @@ CAST(:q AS tsquery)",
}


@dataclass
class _Where:
    """Conditions on the ticket row `t`, with their parameters (datetimes typed)."""

    conditions: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    times: list[str] = field(default_factory=list)

    def add(self, condition: str, value: Any, *, is_time: bool = False) -> None:
        name = f"w{len(self.params)}"
        self.conditions.append(condition.format(p=f":{name}"))
        self.params[name] = value
        if is_time:
            self.times.append(name)

    def sql(self) -> str:
        return "".join(f" AND {c}" for c in self.conditions)

    def statement(self, sql: str) -> Any:
        typed = [bindparam(n, type_=UtcDateTime()) for n in self.times]
        return text(sql).bindparams(*typed)


def search_tickets(
    tx: Tx, *, query: str, actor: str | None, limit: int, cursor: str | None
) -> Page[TicketHit]:
    """One page of the tickets matching `query`, best tier first, newest first within it."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"limit: between 1 and {MAX_LIMIT}")
    parsed = parse_ticket_query(query)
    start = _decode(cursor, parsed)
    conn = tx.conn
    where = _filters(tx, parsed.filters, actor)
    found = _collect(conn, parsed, where, start, limit + 1)
    page = found[:limit]
    tickets = _tickets(conn, [tid for _, tid in page])
    hits = _hits(conn, parsed, page, tickets)
    more = len(found) > limit
    next_cursor = f"{page[-1][0]}.{page[-1][1]}" if more else None
    return Page(items=tuple(hits), next_cursor=next_cursor)


# -- the cursor -----------------------------------------------------------------------------


def _decode(cursor: str | None, parsed: TicketQuery) -> tuple[int, int | None]:
    """(first tier to read, the id to continue below in it)."""
    first = IDS if parsed.has_text else ROWS
    if cursor is None:
        return first, None
    m = _CURSOR_RE.match(cursor)
    if m is None or (int(m.group(1)) == ROWS) == parsed.has_text:
        raise BadInput("cursor: not a cursor from this search")
    return int(m.group(1)), int(m.group(2))


# -- filters --------------------------------------------------------------------------------


def _filters(tx: Tx, filters: tuple[Filter, ...], actor: str | None) -> _Where:
    where = _Where()
    for f in filters:
        if f.field in _COLUMNS:
            where.add(f"t.{f.field} = {{p}}", f.value)
        elif f.field in ("customer", "id"):
            where.add(f"t.{'customer_id' if f.field == 'customer' else 'id'} = {{p}}", f.value)
        elif f.field == "owner":
            _owner(tx, where, str(f.value), actor)
        else:
            assert isinstance(f.value, date)
            _created(where, f.op, f.value, tx)
    return where


def _owner(tx: Tx, where: _Where, name: str, actor: str | None) -> None:
    if name == "none":
        where.conditions.append("t.owner_id IS NULL")
        return
    if name == "me":
        if not actor:
            raise BadInput("q: owner:me needs the acting agent (--as)")
        name = actor
    try:
        where.add("t.owner_id = {p}", tx.agent(name)["id"])
    except NotFound:
        raise NotFound(f"q: owner:{name}: no such agent") from None


def _created(where: _Where, op: str, day: date, tx: Tx) -> None:
    """A day in the team's time zone: `>D` is from the next day, `<=D` up to its end."""
    tz = tx.rules.calendar.tz

    def start(d: date) -> datetime:
        return datetime.combine(d, time(), tzinfo=tz)

    after = day + timedelta(days=1)
    bounds = {
        "=": [(">=", start(day)), ("<", start(after))],
        ">": [(">=", start(after))],
        ">=": [(">=", start(day))],
        "<": [("<", start(day))],
        "<=": [("<", start(after))],
    }[op]
    for cmp, at in bounds:
        where.add(f"t.created_at {cmp} {{p}}", at, is_time=True)


# -- finding ids, tier by tier --------------------------------------------------------------


def _collect(
    conn: Connection, parsed: TicketQuery, where: _Where, start: tuple[int, int | None], n: int
) -> list[tuple[int, int]]:
    """Up to n (tier, id) pairs from the cursor on, crossing into later tiers as needed."""
    first, after = start
    tiers = [t for t in TEXT_TIERS if t >= first] if parsed.has_text else [ROWS]
    found: list[tuple[int, int]] = []
    for tier in tiers:
        below = after if tier == first else None
        ids = _tier_ids(conn, parsed, where, tier, below, n - len(found))
        found.extend((tier, i) for i in ids)
        if len(found) >= n:
            break
    return found


def _tier_ids(
    conn: Connection, parsed: TicketQuery, where: _Where, tier: int, below: int | None, n: int
) -> list[int]:
    params = {**where.params, "n": n}
    if below is not None:
        params["below"] = below
    if tier == ROWS:
        sql = _rows_sql(where, below)
    elif conn.dialect.name == "sqlite":
        sql = _fts5_sql(where, tier, below)
        params["m"] = _FTS5_TIER[tier].format(q=parsed.fts5())
    else:
        params["q"] = parsed.tsquery()
        return _pg_tier_ids(conn, where, tier, below, params)
    return [int(i) for (i,) in conn.execute(where.statement(sql), params)]


def _pg_tier_ids(
    conn: Connection, where: _Where, tier: int, below: int | None, params: dict[str, Any]
) -> list[int]:
    """Few matches: all of them through GIN, sorted. Many: the walk down the ids, newest
    first, which meets a page of them in the first few thousand rows."""
    sparse = _pg_sparse(conn, tier, params)
    sql = _pg_sql(where, tier, below, order="s.ticket_id + 0" if sparse else "s.ticket_id")
    with _planner(conn, bitmap=sparse):
        return [int(i) for (i,) in conn.execute(where.statement(sql), params)]


def _rows_sql(where: _Where, below: int | None) -> str:
    cursor = " AND t.id < :below" if below is not None else ""
    return (
        f"SELECT t.id FROM tickets t WHERE 1 = 1{where.sql()}{cursor} ORDER BY t.id DESC LIMIT :n"
    )


def _fts5_sql(where: _Where, tier: int, below: int | None) -> str:
    """FTS5 reads its doclists newest first (ORDER BY rowid DESC) and stops at the page's end;
    the ticket row is read only when a filter needs it."""
    join = " JOIN tickets t ON t.id = ticket_fts.rowid" if where.conditions else ""
    cursor = " AND ticket_fts.rowid < :below" if below is not None else ""
    return (
        f"SELECT ticket_fts.rowid FROM ticket_fts{join} WHERE ticket_fts MATCH :m"
        f"{where.sql()}{cursor} ORDER BY ticket_fts.rowid DESC LIMIT :n"
    )


def _pg_sql(where: _Where, tier: int, below: int | None, order: str = "s.ticket_id") -> str:
    join = " JOIN tickets t ON t.id = s.ticket_id" if where.conditions else ""
    cursor = " AND s.ticket_id < :below" if below is not None else ""
    return (
        f"SELECT s.ticket_id FROM ticket_search s{join} WHERE {_PG_TIER[tier]}"
        f"{where.sql()}{cursor} ORDER BY {order} DESC LIMIT :n"
    )


def _pg_sparse(conn: Connection, tier: int, params: dict[str, Any]) -> bool:
    """Whether the tier's words are in few tickets (at most PG_SPARSE).

    PostgreSQL's planner walks the ids newest first for `ORDER BY id LIMIT n` and checks
    each row, which is quick when matches are dense and reads the whole table when there
    are none (an order number: 670 ms at a million tickets). Sparse matches are fetched
    through the GIN index instead and sorted; dense ones keep the walk. A word the column's
    statistics know to be common is dense without counting (counting 2,000 matches costs
    25-45 ms); any other is counted through GIN, up to PG_SPARSE + 1.
    """
    column = _PG_TIER[tier].split(" @@ ")[0]
    matching = f"SELECT 1 FROM ticket_search s WHERE {column} @@ CAST(:q AS tsquery)"
    q = {"q": params["q"]}
    plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {matching}"), q).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    if plan[0]["Plan"]["Plan Rows"] >= PG_SURELY_DENSE:
        return False
    counted = f"SELECT count(*) FROM ({matching} LIMIT {PG_SPARSE + 1}) AS c"
    with _planner(conn, bitmap=True):
        return int(conn.execute(text(counted), q).scalar_one()) <= PG_SPARSE


@contextmanager
def _planner(conn: Connection, *, bitmap: bool) -> Iterator[None]:
    """Steer this transaction's planner to the GIN index (bitmap scans) or to the walk
    down the primary key (its estimates of phrases are far off either way), then back."""
    off = ("seqscan", "indexscan") if bitmap else ("seqscan", "bitmapscan")
    for name in off:
        conn.exec_driver_sql(f"SET LOCAL enable_{name} = off")
    try:
        yield
    finally:
        for name in off:
            conn.exec_driver_sql(f"RESET enable_{name}")


# -- the page's tickets and what matched in each --------------------------------------------


def _tickets(conn: Connection, ids: list[int]) -> dict[int, Ticket]:
    if not ids:
        return {}
    id_list = ",".join(str(int(i)) for i in ids)
    select = R.ticket_select(conn.dialect.name)
    rows = conn.execute(text(f"{select} WHERE t.id IN ({id_list})")).all()
    return {r[0]: R.ticket_from_row(r) for r in rows}


def _hits(
    conn: Connection, parsed: TicketQuery, page: list[tuple[int, int]], tickets: dict[int, Ticket]
) -> list[TicketHit]:
    if not parsed.has_text:
        return [TicketHit(tickets[tid]) for _, tid in page]
    terms = parsed.terms()
    phones = _phones(conn, [tid for tier, tid in page if tier == IDS])
    threads = _threads(conn, [tid for tier, tid in page if tier == BODY])
    hits = []
    for tier, tid in page:
        t = tickets[tid]
        match: TicketMatch | None
        if tier == IDS:
            match = _id_match(t, phones.get(tid), terms)
        elif tier == HEAD:
            head = [(MatchField.SUBJECT, t.subject), (MatchField.CUSTOMER, t.customer.name)]
            match = _first_match(head, terms)
        else:
            match = _message_match(threads.get(tid, []), terms)
        hits.append(TicketHit(t, match))
    return hits


def _phones(conn: Connection, ids: list[int]) -> dict[int, str]:
    """The phones of tickets found by an identifier (a phone is not part of a Ticket)."""
    if not ids:
        return {}
    id_list = ",".join(str(int(i)) for i in ids)
    sql = (
        "SELECT t.id, c.phone FROM tickets t JOIN customers c ON c.id = t.customer_id "
        f"WHERE t.id IN ({id_list})"
    )
    return {int(tid): phone for tid, phone in conn.exec_driver_sql(sql) if phone}


def _threads(conn: Connection, ids: list[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    id_list = ",".join(str(int(i)) for i in ids)
    sql = f"SELECT ticket_id, body FROM messages WHERE ticket_id IN ({id_list}) ORDER BY id"
    out: dict[int, list[str]] = {}
    for tid, body in conn.exec_driver_sql(sql):
        out.setdefault(int(tid), []).append(body)
    return out


def _id_match(t: Ticket, phone: str | None, terms: Query) -> TicketMatch:
    """Which identifier matched; a phone shows only its last four digits (it stays masked)."""
    digits = re.sub(r"\D", "", phone or "")
    candidates = [(MatchField.ID, f"#{t.id}")]
    if t.order is not None:
        candidates.append((MatchField.ORDER, t.order.number))
        if t.order.tracking_no:
            candidates.append((MatchField.TRACKING, t.order.tracking_no))
    if digits:
        candidates.append((MatchField.PHONE, f"···{digits[-4:]}"))
    found = _first_match(candidates, terms)
    if found.highlights or not digits:
        return found
    masked = f"···{digits[-4:]}"  # the whole number matched: mark what is shown of it
    return TicketMatch(MatchField.PHONE, masked, ((3, len(masked)),))


def _first_match(candidates: list[tuple[MatchField, str]], terms: Query) -> TicketMatch:
    """The first candidate text holding a match; the first one when none does."""
    for name, value in candidates:
        spans = highlight(value, terms)
        if spans:
            return TicketMatch(name, value, tuple(spans))
    return TicketMatch(*candidates[0])


def _message_match(bodies: list[str], terms: Query) -> TicketMatch | None:
    regex = terms.regex()
    for body in bodies:
        if regex is not None and regex.search(normalize(body)):
            shown, spans = snippet(body, terms)
            return TicketMatch(MatchField.MESSAGE, shown, spans)
    if not bodies:
        return None
    shown, spans = snippet(bodies[0], terms)
    return TicketMatch(MatchField.MESSAGE, shown, spans)
