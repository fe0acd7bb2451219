"""What an import from another helpdesk needs to know of the store before it plans: which
of its tickets and customers are here already (by external id), which agents (by name),
which customers (by e-mail), and the first free id of each table it writes.

Reads by the unique and e-mail indexes, a chunk of keys at a time: no full scans.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, Table, func, select

from cstui.store.schema import AGENTS, CUSTOMERS, EVENTS, MESSAGES, TICKETS

CHUNK = 500  # keys per IN (...): well under every database's limit of bound parameters
ID_TABLES: dict[str, Table] = {
    "agent": AGENTS,
    "customer": CUSTOMERS,
    "ticket": TICKETS,
    "message": MESSAGES,
    "event": EVENTS,
}


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _pairs(engine: Engine, key: Any, value: Any, keys: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for chunk in _chunks(keys):
            rows = conn.execute(select(key, value).where(key.in_(chunk))).all()
            found.update({k: v for k, v in rows if k is not None})
    return found


def known_tickets(engine: Engine, keys: Iterable[str]) -> set[str]:
    return set(_pairs(engine, TICKETS.c.external_id, TICKETS.c.id, keys))


def known_customers(engine: Engine, keys: Iterable[str]) -> dict[str, int]:
    return _pairs(engine, CUSTOMERS.c.external_id, CUSTOMERS.c.id, keys)


def customers_by_email(engine: Engine, emails: Iterable[str]) -> dict[str, int]:
    """The first customer with each e-mail (several may share one: the lowest id)."""
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for chunk in _chunks(emails):
            query = (
                select(CUSTOMERS.c.email, func.min(CUSTOMERS.c.id))
                .where(CUSTOMERS.c.email.in_(chunk))
                .group_by(CUSTOMERS.c.email)
            )
            found.update({k: v for k, v in conn.execute(query).all()})
    return found


def agents_named(engine: Engine, names: Iterable[str]) -> dict[str, int]:
    return _pairs(engine, AGENTS.c.name, AGENTS.c.id, names)


def next_ids(engine: Engine) -> dict[str, int]:
    """The first free id of each table (MAX(id) + 1: the primary key's last entry)."""
    with engine.connect() as conn:
        return {
            name: (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
            for name, table in ID_TABLES.items()
        }
