"""Escalations to departments and the green channel (`domain.escalation`).

Escalating never moves the owner (首问负责制): the ticket counts its open escalations,
which keep it from being resolved, and the green channel puts it first in every queue.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.engine import RowMapping

from cstui.domain import escalation, ownership, rights
from cstui.domain.model import Department, Escalation, EscalationState, EventKind, GoodsType
from cstui.errors import NotFound
from cstui.store import rows as R
from cstui.store.schema import ESCALATIONS, ORDERS
from cstui.store.tx import Tx


def escalate(
    tx: Tx,
    *,
    ticket_id: int,
    actor: str,
    department: Department,
    reason: str,
    green: bool,
    expected_version: int | None,
) -> Escalation:
    """Ask a department to act. The owner stays the owner (首问负责制)."""
    text_reason = ownership.require_reason(reason, "escalation")
    now = tx.clock()
    row, role, _ = tx.ticket_for(ticket_id, actor=actor, right=rights.ESCALATE)
    if green:
        escalation.check_green(_goods(tx, row), role)
    due = _escalation_due(tx, row, department, green, now)
    values = {
        "open_escalations": row["open_escalations"] + 1,
        "green_rank": 0 if green else row["green_rank"],
        "last_activity_at": now,
    }
    tx.change(row, values, at=now, expected_version=expected_version)
    esc_id = tx.insert(
        ESCALATIONS,
        {
            "ticket_id": ticket_id,
            "department": department.value,
            "reason": text_reason,
            "state": EscalationState.REQUESTED.value,
            "green": int(green),
            "requested_by": actor,
            "created_at": now,
            "due_at": due,
            "notes": "[]",
        },
    )
    tx.event(
        EventKind.ESCALATED,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        new={
            "escalation_id": esc_id,
            "department": department.value,
            "green": green,
            "due_at": due.isoformat(),
            "reason": text_reason,
        },
    )
    return Escalation(
        id=esc_id,
        ticket_id=ticket_id,
        department=department,
        reason=text_reason,
        state=EscalationState.REQUESTED,
        green=green,
        requested_by=actor,
        created_at=now,
        due_at=due,
    )


def _goods(tx: Tx, row: RowMapping) -> GoodsType | None:
    if row["order_id"] is None:
        return None
    q = select(ORDERS.c.goods_type).where(ORDERS.c.id == row["order_id"])
    value = tx.conn.execute(q).scalar()
    return GoodsType(value) if value else None


def _escalation_due(
    tx: Tx, row: RowMapping, department: Department, green: bool, now: datetime
) -> datetime:
    open_departments = tx.conn.execute(
        select(ESCALATIONS.c.department).where(ESCALATIONS.c.ticket_id == row["id"])
    ).scalars()
    departments = [Department(d) for d in open_departments] + [department]
    return escalation.escalation_due(
        now,
        department=department,
        green=green,
        complex_case=escalation.is_complex(departments),
        cal=tx.rules.calendar,
        policy=tx.rules.escalation,
    )


def update_escalation(
    tx: Tx, *, escalation_id: int, actor: str, state: EscalationState, note: str | None
) -> Escalation:
    """A department acknowledges, answers or rejects; an answered one no longer blocks
    resolving the ticket."""
    now = tx.clock()
    tx.agent(actor)
    q = select(ESCALATIONS).where(ESCALATIONS.c.id == escalation_id).with_for_update()
    m = tx.conn.execute(q).mappings().first()
    if m is None:
        raise NotFound(f"escalation {escalation_id}: no such escalation")
    old = EscalationState(m["state"])
    escalation.transition(old, state)
    notes = json.loads(m["notes"] or "[]") + ([f"{actor}: {note}"] if note else [])
    tx.conn.execute(
        update(ESCALATIONS)
        .where(ESCALATIONS.c.id == escalation_id)
        .values(state=state.value, updated_at=now, notes=json.dumps(notes, ensure_ascii=False))
    )
    row = tx.locked_ticket(m["ticket_id"])
    closing = state not in (EscalationState.REQUESTED, EscalationState.ACKNOWLEDGED)
    values: dict[str, Any] = {"last_activity_at": now}
    if closing:
        values["open_escalations"] = max(0, row["open_escalations"] - 1)
    tx.change(row, values, at=now)
    tx.event(
        EventKind.ESCALATION_STATE,
        ticket_id=m["ticket_id"],
        actor=actor,
        at=now,
        old={"state": old.value},
        new={"state": state.value, "escalation_id": escalation_id, "note": note},
    )
    result = tx.conn.execute(
        text(f"SELECT {R.ESCALATION_COLUMNS} FROM escalations WHERE id = :i"),
        {"i": escalation_id},
    ).one()
    return R.escalation_from_row(result)


def set_green_channel(tx: Tx, *, ticket_id: int, actor: str, reason: str) -> None:
    """Put a ticket on the green channel (fresh food, medical devices, or a supervisor's
    call): first in every queue, its department due within the green window."""
    text_reason = ownership.require_reason(reason, "green channel")
    now = tx.clock()
    row, role, _ = tx.ticket_for(ticket_id, actor=actor, right=rights.GREEN_CHANNEL)
    escalation.check_green_channel(
        _goods(tx, row), role, ticket_id=ticket_id, green_already=row["green_rank"] == 0
    )
    tx.change(row, {"green_rank": 0}, at=now)
    tx.event(
        EventKind.GREEN_CHANNEL,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        new={"reason": text_reason},
    )
