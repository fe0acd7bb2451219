"""Complaints (a second one about the same matter is flagged), follow-up calls and the
customer's satisfaction score (`domain.complaints`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from cstui.domain import complaints, rights
from cstui.domain.model import Category, ComplaintCause, EventKind
from cstui.errors import Conflict
from cstui.store.schema import CUSTOMERS, EVENTS, ORDERS, TICKETS
from cstui.store.tx import Tx


def is_second_complaint(tx: Tx, customer_id: int, matter: str) -> bool:
    earlier = tx.conn.execute(
        select(TICKETS.c.matter_key).where(
            TICKETS.c.customer_id == customer_id, TICKETS.c.matter_key.is_not(None)
        )
    ).scalars()
    return complaints.is_second_complaint(matter, earlier)


def note_complaint(
    tx: Tx,
    *,
    ticket_id: int,
    customer_id: int,
    cause: ComplaintCause | None,
    second: bool,
    actor: str | None,
    at: datetime,
) -> None:
    """Count the complaint on the customer, and log it."""
    tx.conn.execute(
        update(CUSTOMERS)
        .where(CUSTOMERS.c.id == customer_id)
        .values(complaint_count=CUSTOMERS.c.complaint_count + 1)
    )
    tx.event(
        EventKind.COMPLAINT,
        ticket_id=ticket_id,
        actor=actor,
        at=at,
        new={"cause": cause.value if cause else None, "second": second},
    )


def register_complaint(tx: Tx, *, ticket_id: int, actor: str, cause: ComplaintCause) -> None:
    now = tx.clock()
    row = tx.ticket_for(ticket_id, actor=actor, right=rights.REGISTER_COMPLAINT).row
    if row["complaint_cause"]:
        raise Conflict(f"ticket {ticket_id} has a complaint registered already")
    order = _order_number(tx, row["order_id"])
    matter = complaints.matter_key(row["customer_id"], order, Category(row["category"]))
    second = bool(row["matter_key"] is None and is_second_complaint(tx, row["customer_id"], matter))
    values = {"complaint_cause": cause.value, "matter_key": matter, "second_complaint": int(second)}
    tx.change(row, values, at=now)
    if row["matter_key"] is None:
        note_complaint(
            tx,
            ticket_id=ticket_id,
            customer_id=row["customer_id"],
            cause=cause,
            second=second,
            actor=actor,
            at=now,
        )


def _order_number(tx: Tx, order_id: int | None) -> str | None:
    if order_id is None:
        return None
    return tx.conn.execute(select(ORDERS.c.number).where(ORDERS.c.id == order_id)).scalar()


def schedule_follow_up(tx: Tx, *, ticket_id: int, actor: str, due: datetime) -> None:
    now = tx.clock()
    row = tx.ticket_for(ticket_id, actor=actor, right=rights.SCHEDULE_FOLLOW_UP).row
    tx.change(row, {"follow_up_due": due}, at=now)
    tx.event(
        EventKind.FOLLOW_UP_SCHEDULED,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        new={"due": due.isoformat()},
    )


def complete_follow_up(tx: Tx, *, ticket_id: int, actor: str, note: str) -> None:
    now = tx.clock()
    row = tx.ticket_for(ticket_id, actor=actor, right=rights.COMPLETE_FOLLOW_UP).row
    if row["follow_up_due"] is None:
        raise Conflict(f"ticket {ticket_id} has no follow-up due")
    tx.change(row, {"follow_up_due": None}, at=now)
    tx.event(
        EventKind.FOLLOW_UP_DONE,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        new={"note": note},
    )


def record_csat(tx: Tx, *, ticket_id: int, score: int) -> None:
    """The customer's satisfaction score (1–5, checked by `RecordCsat`), logged with the
    owner it rates: once a ticket (a second answer, by link or by mail, is a Conflict)."""
    now = tx.clock()
    row = tx.locked_ticket(ticket_id)  # locked first: of two answers at once, one counts
    if has_csat(tx, ticket_id):
        raise Conflict(f"ticket {ticket_id} has its satisfaction score already")
    tx.event(
        EventKind.CSAT,
        ticket_id=ticket_id,
        actor=None,
        at=now,
        new={"score": score, "owner": tx.owner_name(row["owner_id"])},
    )


def has_csat(tx: Tx, ticket_id: int) -> bool:
    q = select(EVENTS.c.id).where(
        EVENTS.c.ticket_id == ticket_id, EVENTS.c.kind == EventKind.CSAT.value
    )
    return tx.conn.execute(q.limit(1)).first() is not None
