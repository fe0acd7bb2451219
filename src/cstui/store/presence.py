"""Who has which ticket open (presence), and revealing a customer's contact (audited).

Presence is a heartbeat: one row per agent, replaced whenever the console opens a ticket
and every half minute after; a row older than `PRESENCE_TTL` no longer counts, so a console
that crashed stops marking its ticket within a minute and a half.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from cstui.domain.model import Customer, EventKind
from cstui.store import rows as R
from cstui.store.schema import AGENTS, PRESENCE

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore

PRESENCE_TTL = timedelta(seconds=90)


def set_presence(store: SqlStore, *, actor: str, ticket_id: int | None) -> None:
    """Replace the agent's heartbeat; a store open for reading only keeps none."""
    from cstui.store.engine import is_read_only

    if is_read_only(store.engine):
        return
    with store._write() as conn:
        agent_id = store._agent_row(conn, actor)["id"]
        conn.execute(delete(PRESENCE).where(PRESENCE.c.agent_id == agent_id))
        conn.execute(
            insert(PRESENCE),
            {"agent_id": agent_id, "ticket_id": ticket_id, "seen_at": store.clock()},
        )


def viewers(store: SqlStore, ticket_ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]:
    """Ticket id → the agents who have it open now (fresh heartbeats only)."""
    since = store.clock() - PRESENCE_TTL
    query = (
        select(PRESENCE.c.ticket_id, AGENTS.c.name)
        .join(AGENTS, AGENTS.c.id == PRESENCE.c.agent_id)
        .where(PRESENCE.c.seen_at >= since, PRESENCE.c.ticket_id.is_not(None))
        .order_by(PRESENCE.c.ticket_id, AGENTS.c.name)
    )
    if ticket_ids is not None:
        query = query.where(PRESENCE.c.ticket_id.in_(list(ticket_ids)))
    out: dict[int, tuple[str, ...]] = {}
    with store._read() as conn:
        for ticket_id, name in conn.execute(query):
            out[ticket_id] = (*out.get(ticket_id, ()), name)
    return out


def reveal_contact(
    store: SqlStore, customer_id: int, *, actor: str, ticket_id: int | None = None
) -> Customer:
    """The customer with phone, email and address, and an event saying who looked and why."""
    with store._write() as conn:
        store._agent_row(conn, actor)
        customer = R.customer_from_mapping(store._customer_row(conn, customer_id))
        store._event(
            conn,
            EventKind.PII_REVEALED,
            ticket_id=ticket_id,
            actor=actor,
            at=store.clock(),
            new={"customer_id": customer_id, "fields": ["phone", "email", "address"]},
        )
    return customer
