"""What triage read a ticket's latest customer words as: from the log, not recomputed.

Triage is recorded on the `created` and `customer_message` events as the words arrive
(`Triage.logged`); the ticket shows the newest of them. One indexed read (`ix_events_ticket`,
newest first) that stops at the first event carrying it.
"""

from __future__ import annotations

import json

from sqlalchemy import text

from cstui.domain.model import Category, EventKind, Priority, TicketTriage
from cstui.store.tx import Tx

_NEWEST = text(
    "SELECT new FROM events WHERE ticket_id = :t AND kind IN (:created, :message) "
    "ORDER BY id DESC LIMIT 1"
)


def ticket_triage(tx: Tx, ticket_id: int) -> TicketTriage | None:
    """The newest triage logged for the ticket; None before triage was logged."""
    params = {
        "t": ticket_id,
        "created": EventKind.CREATED.value,
        "message": EventKind.CUSTOMER_MESSAGE.value,
    }
    row = tx.conn.execute(_NEWEST, params).first()
    if row is None or not row[0]:
        return None
    new = json.loads(row[0])
    if not isinstance(new, dict) or "triaged" not in new:
        return None  # logged before triage was
    return TicketTriage(
        category=Category(new["triaged"]),
        priority=Priority(new["triaged_priority"]),
        risk=str(new["risk"]),
        green=bool(new["green_candidate"]),
        reasons=tuple(str(r) for r in new.get("triage_reasons") or ()),
    )
