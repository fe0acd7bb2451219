"""The ticket search language (pure): `status:open tier:vip owner:me created>2026-11-01 退款`.

A query is whitespace-separated chunks:

- `field:value` filters: status, priority, channel, category, tier (one of their values),
  owner (an agent's name, `me` or `none`), customer (an id), id (a ticket id);
- `created>D`, `created>=D`, `created<D`, `created<=D`, `created:D` with D as YYYY-MM-DD
  (a day in the team's time zone; `>D` means from the day after D);
- every other chunk is text, cut like the knowledge base's queries (`search.query`): each
  term must be found in the ticket's identifiers (id, order and tracking number, phone or
  its last four digits), its subject and customer's name, or its messages;
- `A OR B` (upper case, between two words) finds tickets with either; a lower-case `or`,
  or `"OR"` in quotes, is a word like any other. `OR` with no word on one side is an
  error, never "everything".

Malformed input raises `BadQuery` (exit 2, HTTP 400) with one line naming the chunk and the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cstui.domain.model import Category, Channel, Priority, Status, Tier
from cstui.errors import BadQuery
from cstui.search.query import CHUNK_RE, MAX_QUERY_CHARS, Query, Term, parse

MAX_TERMS = 12
MAX_FILTERS = 12
ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "status": Status,
    "priority": Priority,
    "channel": Channel,
    "category": Category,
    "tier": Tier,
}
FIELDS = (*ENUM_FIELDS, "owner", "customer", "id", "created")
_FILTER_RE = re.compile(r"^([A-Za-z_]+)(>=|<=|:|>|<)(.*)$")
OR = "OR"


@dataclass(frozen=True, slots=True)
class Filter:
    """One condition on a ticket's own columns: `field op value` (op is one of = > >= < <=)."""

    field: str
    op: str
    value: str | int | date


Clause = tuple[Term, ...]  # any one of these terms (OR)


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """Filters, and text clauses that must all be found (each clause: any of its terms)."""

    filters: tuple[Filter, ...]
    clauses: tuple[Clause, ...]

    @property
    def has_text(self) -> bool:
        return bool(self.clauses)

    def fts5(self) -> str:
        """The text as an FTS5 expression (every term quoted: nothing in it is syntax)."""
        return " AND ".join("(" + " OR ".join(t.fts5() for t in c) + ")" for c in self.clauses)

    def tsquery(self) -> str:
        return " & ".join("(" + " | ".join(t.tsquery() for t in c) + ")" for c in self.clauses)

    def terms(self) -> Query:
        """Every term as one query, for highlighting matches in the text shown."""
        return Query(tuple(dict.fromkeys(t for c in self.clauses for t in c)))


def parse_ticket_query(text: str) -> TicketQuery:
    """Parse a ticket search; raises BadInput (one line, naming the problem) when malformed."""
    if not text.strip():
        return TicketQuery((), ())  # no words and no filters: every ticket, newest first
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(f"q: at most {MAX_QUERY_CHARS} characters")
    filters: list[Filter] = []
    clauses: list[list[Term]] = []
    pending_or = False
    for m in CHUNK_RE.finditer(text):
        quoted, loose = m.group(1), m.group(2)
        if loose == OR:
            pending_or = _or_after(clauses, pending_or)
            continue
        if loose is not None and (f := _filter(loose)) is not None:
            if pending_or:
                raise BadQuery(f"q: OR before {loose}: OR joins words, not filters")
            filters.append(f)
            continue
        terms = _terms(quoted, loose)
        if pending_or and terms:
            clauses[-1].append(terms[0])
            terms, pending_or = terms[1:], False
        clauses.extend([t] for t in terms)
    if pending_or:
        raise BadQuery("q: OR at the end: give a word after it")
    return _checked(filters, clauses)


def _or_after(clauses: list[list[Term]], pending: bool) -> bool:
    if not clauses or pending:
        raise BadQuery('q: OR needs a word on each side (write "OR" to search for the word)')
    return True


def _terms(quoted: str | None, loose: str | None) -> list[Term]:
    if quoted is not None:
        return list(parse(f'"{quoted}"', prefix_last=False).terms) if quoted.strip() else []
    return list(parse(loose or "", prefix_last=False).terms)


def _checked(filters: list[Filter], clauses: list[list[Term]]) -> TicketQuery:
    if not filters and not clauses:
        raise BadQuery("q: nothing to search for; give words, an id or filters")
    if sum(len(c) for c in clauses) > MAX_TERMS:
        raise BadQuery(f"q: at most {MAX_TERMS} words")
    if len(filters) > MAX_FILTERS:
        raise BadQuery(f"q: at most {MAX_FILTERS} filters")
    unique = dict.fromkeys(tuple(dict.fromkeys(c)) for c in clauses)
    return TicketQuery(tuple(filters), tuple(unique))


def _filter(chunk: str) -> Filter | None:
    """`name:value` (or a `created` comparison) as a filter; None when the chunk is text."""
    m = _FILTER_RE.match(chunk)
    if m is None:
        return None
    name, op, value = m.group(1).lower(), m.group(2), m.group(3)
    if name not in FIELDS:
        if op != ":":
            return None  # `a>b` is text
        raise BadQuery(f"q: {chunk}: unknown filter {name!r} (one of: {' '.join(FIELDS)})")
    if not value:
        raise BadQuery(f"q: {chunk}: {name} needs a value")
    if name == "created":
        return Filter(name, "=" if op == ":" else op, _day(chunk, value))
    if op != ":":
        raise BadQuery(f"q: {chunk}: {name} takes {name}:value (only created compares)")
    return _field_filter(chunk, name, value)


def _field_filter(chunk: str, name: str, value: str) -> Filter:
    if name in ENUM_FIELDS:
        enum = ENUM_FIELDS[name]
        try:
            return Filter(name, "=", enum(value.lower()).value)
        except ValueError:
            allowed = " ".join(e.value for e in enum)
            raise BadQuery(f"q: {chunk}: unknown {name} (one of: {allowed})") from None
    if name in ("customer", "id"):
        digits = value.removeprefix("#")
        if not digits.isdigit() or len(digits) > 10:
            raise BadQuery(f"q: {chunk}: {name} takes a number")
        return Filter(name, "=", int(digits))
    return Filter(name, "=", value)  # owner: a name, `me` or `none`, checked by the store


def _day(chunk: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadQuery(f"q: {chunk}: created takes a date, YYYY-MM-DD") from None
