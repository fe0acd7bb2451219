"""投诉预警 raised as an event: when a customer gets in touch again (a new ticket) and looks
likely to complain (`domain.complaints.complaint_risk`), a `complaint_warning` event is
logged on the new ticket, in its transaction. The automations' `complaint_warning` rule
tells the supervisors once per event.

Raised at most once per customer in `QUIET` (the 7 days the repeat-contact count covers):
a customer going round in circles is one warning, not one per contact.

Reads only the customer's newest tickets (`ix_tickets_customer_activity`) and, for those,
their escalations and events by ticket: never more than `RECENT` tickets' rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, text

from cstui.domain import events
from cstui.domain.complaints import LOW_CSAT_MAX, complaint_risk
from cstui.domain.model import EventKind
from cstui.store import rows as R
from cstui.store.schema import OPEN_ESCALATION, UtcDateTime
from cstui.store.tx import Tx

RECENT = 50  # the customer's newest tickets looked at
QUIET = timedelta(days=7)

_TICKETS = text(
    "SELECT id, created_at, active, due_key FROM tickets WHERE customer_id = :c "
    "ORDER BY last_activity_at DESC LIMIT :n"
)
_OVERDUE_ESCALATIONS = text(
    f"SELECT COUNT(*) FROM escalations WHERE ticket_id IN :ids AND {OPEN_ESCALATION} "
    "AND due_at <= :now"
).bindparams(bindparam("ids", expanding=True), bindparam("now", type_=UtcDateTime()))
_EVENTS = text(
    f"SELECT {R.EVENT_COLUMNS} FROM events WHERE ticket_id IN :ids AND kind IN :kinds"
).bindparams(bindparam("ids", expanding=True), bindparam("kinds", expanding=True))
_KINDS = [EventKind.CSAT.value, EventKind.COMPLAINT_WARNING.value]


def raise_if_at_risk(
    tx: Tx,
    *,
    ticket_id: int,
    customer_id: int,
    prior_complaints: int,
    actor: str | None,
    now: datetime,
) -> tuple[str, ...]:
    """Log the warning on `ticket_id` (just opened) if its customer is at risk and was not
    warned of in the last `QUIET`; the reasons raised (empty when none)."""
    ts = UtcDateTime().process_result_value
    dialect = tx.conn.dialect
    rows = tx.conn.execute(_TICKETS, {"c": customer_id, "n": RECENT}).all()
    ids = [int(r[0]) for r in rows]
    recent = sum(1 for r in rows if now - _aware(ts(r[1], dialect), now) <= QUIET)
    breached = sum(
        1 for r in rows if r[0] != ticket_id and r[2] and _aware(ts(r[3], dialect), now) <= now
    )
    breached += int(tx.conn.execute(_OVERDUE_ESCALATIONS, {"ids": ids, "now": now}).scalar() or 0)
    low_csat = 0
    for e in (R.event_from_row(r) for r in tx.conn.execute(_EVENTS, {"ids": ids, "kinds": _KINDS})):
        if e.kind is EventKind.COMPLAINT_WARNING and now - e.at <= QUIET:
            return ()  # already warned of: the supervisors know
        if e.kind is EventKind.CSAT and 0 < events.payload_as(events.Csat, e).score <= LOW_CSAT_MAX:
            low_csat += 1
    signal = complaint_risk(
        contacts_last_7_days=recent,
        overdue_promises=breached,
        prior_complaints=prior_complaints,
        negative_csat=low_csat,
    )
    if not signal.flagged:
        return ()
    tx.event(
        events.ComplaintWarning(reasons=signal.reasons), ticket_id=ticket_id, actor=actor, at=now
    )
    return signal.reasons


def _aware(at: datetime | None, now: datetime) -> datetime:
    """A missing time (no deadline) as one that never comes."""
    return at if at is not None else now + QUIET
