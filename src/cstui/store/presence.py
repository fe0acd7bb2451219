"""Who has which ticket open (presence), and revealing a customer's contact (audited).

Presence is a heartbeat: one row per agent, replaced whenever the console opens a ticket
and every half minute after; a row older than `PRESENCE_TTL` no longer counts, so a console
that crashed stops marking its ticket within a minute and a half.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select

from cstui.domain import rights
from cstui.domain.model import Customer, EventKind, Role
from cstui.errors import NotFound, PermissionDenied
from cstui.store import rows as R
from cstui.store.schema import AGENTS, PRESENCE, TICKETS
from cstui.store.tx import Tx

PRESENCE_TTL = timedelta(seconds=90)


def set_presence(tx: Tx, *, actor: str, ticket_id: int | None) -> None:
    agent_id = tx.agent(actor)["id"]
    tx.conn.execute(delete(PRESENCE).where(PRESENCE.c.agent_id == agent_id))
    tx.conn.execute(
        insert(PRESENCE),
        {"agent_id": agent_id, "ticket_id": ticket_id, "seen_at": tx.clock()},
    )


def viewers(tx: Tx, *, ticket_ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]:
    """Ticket id → the agents who have it open now (fresh heartbeats only)."""
    since = tx.clock() - PRESENCE_TTL
    query = (
        select(PRESENCE.c.ticket_id, AGENTS.c.name)
        .join(AGENTS, AGENTS.c.id == PRESENCE.c.agent_id)
        .where(PRESENCE.c.seen_at >= since, PRESENCE.c.ticket_id.is_not(None))
        .order_by(PRESENCE.c.ticket_id, AGENTS.c.name)
    )
    if ticket_ids is not None:
        query = query.where(PRESENCE.c.ticket_id.in_(list(ticket_ids)))
    out: dict[int, tuple[str, ...]] = {}
    for ticket_id, name in tx.conn.execute(query):
        out[ticket_id] = (*out.get(ticket_id, ()), name)
    return out


class Reveal(NamedTuple):
    """A reveal's outcome: the customer, or why it was refused (logged either way)."""

    customer: Customer
    refused: PermissionDenied | None


def reveal_contact(tx: Tx, *, customer_id: int, actor: str, ticket_id: int | None) -> Reveal:
    """The customer with phone, email and address, and an event saying who looked and why.

    Only for the owner of the customer's ticket (the one named, or any) or a supervisor
    (`rights.check_reveal`); a refusal is logged too, with its reason, and returned: the
    caller raises it once the log is committed (the attempt is what the audit is for).
    """
    now = tx.clock()
    refused: PermissionDenied | None = None
    agent = tx.agent(actor)
    customer = R.customer_from_mapping(tx.customer(customer_id))
    try:
        rights.check_reveal(
            actor=actor,
            role=Role(agent["role"]),
            customer_id=customer_id,
            ticket=_named_ticket(tx, ticket_id),
            owns_a_ticket=ticket_id is None and _owns_a_ticket(tx, agent["id"], customer_id),
        )
    except PermissionDenied as exc:
        refused = exc
    new: dict[str, Any] = {"customer_id": customer_id}
    if refused is None:
        kind = EventKind.PII_REVEALED
        new["fields"] = ["phone", "email", "address"]
    else:
        kind = EventKind.REVEAL_REFUSED
        new["reason"] = str(refused)
    tx.event(kind, ticket_id=ticket_id, actor=actor, at=now, new=new)
    return Reveal(customer, refused)


def _named_ticket(tx: Tx, ticket_id: int | None) -> rights.NamedTicket | None:
    if ticket_id is None:
        return None
    q = select(TICKETS.c.customer_id, TICKETS.c.owner_id).where(TICKETS.c.id == ticket_id)
    row = tx.conn.execute(q).first()
    if row is None:
        raise NotFound(f"ticket {ticket_id}: no such ticket")
    return rights.NamedTicket(ticket_id, row.customer_id, tx.owner_name(row.owner_id))


def _owns_a_ticket(tx: Tx, agent_id: int, customer_id: int) -> bool:
    q = select(TICKETS.c.id).where(
        TICKETS.c.customer_id == customer_id, TICKETS.c.owner_id == agent_id
    )
    return tx.conn.execute(q.limit(1)).first() is not None
