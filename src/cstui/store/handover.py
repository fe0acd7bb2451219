"""A ticket changing hands: transfers (asked for, then approved or denied by a supervisor)
and a supervisor's steal. The rules are `domain.ownership`; every move is logged with its
reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.engine import RowMapping

from cstui.domain import ownership
from cstui.domain.model import EventKind, Role, Status, TransferRequest
from cstui.errors import Conflict, NotFound, StaleVersion
from cstui.store import rows as R
from cstui.store.schema import TRANSFERS
from cstui.store.tx import Tx


def pending_transfers(tx: Tx) -> list[TransferRequest]:
    q = text(f"SELECT {R.TRANSFER_COLUMNS} FROM transfers WHERE state = 'pending' ORDER BY id")
    return [R.transfer_from_row(r) for r in tx.conn.execute(q)]


def transfer(
    tx: Tx, *, ticket_id: int, actor: str, to: str, reason: str, expected_version: int | None
) -> TransferRequest | None:
    """Move the ticket to `to` now, or ask a supervisor to (the request, then)."""
    now = tx.clock()
    agent = tx.agent(actor)
    target = tx.agent(to)
    row = tx.locked_ticket(ticket_id)
    owner = tx.owner_name(row["owner_id"])
    plan = ownership.plan_transfer(
        actor=actor,
        actor_role=Role(agent["role"]),
        owner=owner,
        to=to,
        reason=reason,
        approval_required=tx.rules.transfer_needs_approval,
    )
    if expected_version is not None and expected_version != row["version"]:
        raise StaleVersion(f"ticket {ticket_id} changed: reload it")
    if plan.needs_approval:
        return _request_transfer(tx, row, owner, plan, actor, now)
    _move_owner(tx, row, target, owner, EventKind.TRANSFERRED, actor, now, plan.reason)
    return None


def _request_transfer(
    tx: Tx,
    row: RowMapping,
    owner: str | None,
    plan: ownership.TransferPlan,
    actor: str,
    now: datetime,
) -> TransferRequest:
    pending = tx.conn.execute(
        select(TRANSFERS.c.to_agent).where(
            TRANSFERS.c.ticket_id == row["id"], TRANSFERS.c.state == "pending"
        )
    ).scalar()
    ownership.check_no_pending_transfer(row["id"], pending)
    request_id = tx.insert(
        TRANSFERS,
        {
            "ticket_id": row["id"],
            "from_owner": owner,
            "to_agent": plan.to,
            "reason": plan.reason,
            "requested_by": actor,
            "state": "pending",
            "created_at": now,
        },
    )
    tx.event(
        EventKind.TRANSFER_REQUESTED,
        ticket_id=row["id"],
        actor=actor,
        at=now,
        old={"owner": owner},
        new={"to": plan.to, "reason": plan.reason, "request_id": request_id},
    )
    return TransferRequest(
        id=request_id,
        ticket_id=row["id"],
        from_owner=owner,
        to_agent=plan.to,
        reason=plan.reason,
        requested_by=actor,
        created_at=now,
        state="pending",
    )


def _move_owner(
    tx: Tx,
    row: RowMapping,
    target: RowMapping,
    owner: str | None,
    kind: EventKind,
    actor: str,
    now: datetime,
    reason: str,
) -> None:
    change = ownership.hand_over(
        to=target["name"],
        owner=owner,
        dispatch_count=row["dispatch_count"],
        status=Status(row["status"]),
    )
    values = {
        "owner_id": target["id"],
        "dispatch_count": change.dispatch_count,
        "status": change.status.value,
        "last_activity_at": now,
    }
    tx.change(row, values, at=now)
    tx.event(
        kind,
        ticket_id=row["id"],
        actor=actor,
        at=now,
        old={"owner": owner},
        new={"owner": target["name"], "reason": reason},
    )


def decide_transfer(
    tx: Tx, *, request_id: int, actor: str, approve: bool, note: str | None
) -> TransferRequest:
    now = tx.clock()
    ownership.check_decide_transfer(tx.role(actor))
    q = select(TRANSFERS).where(TRANSFERS.c.id == request_id).with_for_update()
    m = tx.conn.execute(q).mappings().first()
    if m is None:
        raise NotFound(f"transfer {request_id}: no such transfer request")
    if m["state"] != "pending":
        raise Conflict(f"transfer {request_id} was {m['state']} already")
    row = tx.locked_ticket(m["ticket_id"])
    owner = tx.owner_name(row["owner_id"])
    if approve and owner != m["from_owner"]:
        raise Conflict(f"ticket {row['id']} is now owned by {owner}: request is stale", owner=owner)
    state = "approved" if approve else "denied"
    tx.conn.execute(
        update(TRANSFERS)
        .where(TRANSFERS.c.id == request_id)
        .values(state=state, decided_by=actor, decided_at=now)
    )
    if approve:
        target = tx.agent(m["to_agent"])
        _move_owner(tx, row, target, owner, EventKind.TRANSFER_APPROVED, actor, now, m["reason"])
    else:
        tx.event(
            EventKind.TRANSFER_DENIED,
            ticket_id=row["id"],
            actor=actor,
            at=now,
            new={"request_id": request_id, "note": note},
        )
    out = tx.conn.execute(
        text(f"SELECT {R.TRANSFER_COLUMNS} FROM transfers WHERE id = :i"), {"i": request_id}
    ).one()
    return R.transfer_from_row(out)


def steal(tx: Tx, *, ticket_id: int, actor: str, reason: str) -> None:
    """A supervisor takes a ticket from its owner; audited with the reason."""
    now = tx.clock()
    agent = tx.agent(actor)
    row = tx.locked_ticket(ticket_id)
    owner = tx.owner_name(row["owner_id"])
    text_reason = ownership.check_steal(
        actor_role=Role(agent["role"]), owner=owner, actor=actor, reason=reason
    )
    _move_owner(tx, row, agent, owner, EventKind.STOLEN, actor, now, text_reason)
