"""Merge a duplicate ticket into another of the same customer, and link related tickets
(the rules are `domain.merge`; this is their transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, RowMapping

from cstui.domain import merge, rights, sla
from cstui.domain.model import EventKind, ResolutionCode, Status
from cstui.store import rows as R
from cstui.store import ticket_index
from cstui.store.schema import LINKS
from cstui.store.ticket_index import TicketDoc
from cstui.store.tx import Tx


def merge_tickets(tx: Tx, *, ticket_id: int, into: int, actor: str) -> None:
    """Move `ticket_id`'s thread into `into`, close it with a pointer, link the two."""
    now = tx.clock()
    conn = tx.conn
    role = tx.role(actor)
    dup, survivor = _locked_in_order(tx, ticket_id, into)
    dup_owner = tx.owner_name(dup["owner_id"])
    survivor_owner = tx.owner_name(survivor["owner_id"])
    merge.check_merge(
        _side(dup, dup_owner), _side(survivor, survivor_owner), actor=actor, role=role
    )
    before = (TicketDoc.read(conn, ticket_id), TicketDoc.read(conn, into))
    conn.execute(
        text("UPDATE messages SET ticket_id = :into WHERE ticket_id = :dup"),
        {"into": into, "dup": ticket_id},
    )
    _close_as_duplicate(tx, dup, into, now)
    _keep_survivor(tx, survivor, dup, dup_owner, survivor_owner, actor, now)
    _link(conn, ticket_id, into)
    tx.event(EventKind.MERGED, ticket_id=ticket_id, actor=actor, at=now, new={"into": into})
    tx.event(EventKind.MERGED, ticket_id=into, actor=actor, at=now, new={"from": ticket_id})
    for old in before:
        ticket_index.replace(conn, old, TicketDoc.read(conn, old.id))


def _locked_in_order(tx: Tx, a: int, b: int) -> tuple[RowMapping, RowMapping]:
    """Both rows locked, the lower id first: two opposite merges cannot deadlock."""
    first, second = sorted((a, b))
    rows = {first: tx.locked_ticket(first)}
    rows[second] = tx.locked_ticket(second)
    return rows[a], rows[b]


def _side(row: RowMapping, owner: str | None) -> merge.MergeSide:
    return merge.MergeSide(
        id=row["id"],
        customer_id=row["customer_id"],
        owner=owner,
        active=bool(row["active"]),
        merged_into=row["merged_into"],
        open_escalations=row["open_escalations"],
    )


def _close_as_duplicate(tx: Tx, dup: RowMapping, into: int, now: datetime) -> None:
    """Closed, resolved as a duplicate, its clock stopped, pointing at the survivor."""
    values: dict[str, Any] = {
        "status": Status.CLOSED.value,
        "active": 0,
        "merged_into": into,
        "resolved_at": now,
        "resolution_code": ResolutionCode.DUPLICATE.value,
        "follow_up_due": None,
        "last_activity_at": now,
        **R.clock_columns(sla.stop(R.clock_from_row(dup))),
    }
    tx.change(dup, values, at=now)


def _keep_survivor(
    tx: Tx,
    survivor: RowMapping,
    dup: RowMapping,
    dup_owner: str | None,
    survivor_owner: str | None,
    actor: str,
    now: datetime,
) -> None:
    """The survivor keeps its owner; an unowned one takes the duplicate's (recorded)."""
    values: dict[str, Any] = {"last_activity_at": now}
    owner = merge.surviving_owner(survivor_owner, dup_owner)
    if owner != survivor_owner:
        values["owner_id"] = dup["owner_id"]
        values["dispatch_count"] = max(survivor["dispatch_count"], 1)
        if survivor["status"] == Status.NEW.value:
            values["status"] = Status.OPEN.value
    tx.change(survivor, values, at=now)
    if owner != survivor_owner:
        tx.event(
            EventKind.ROUTED,
            ticket_id=survivor["id"],
            actor=actor,
            at=now,
            old={"owner": None},
            new={"owner": owner, "reason": "merged"},
        )


def link_tickets(tx: Tx, *, ticket_id: int, other_id: int, actor: str) -> None:
    """Link two related tickets both ways (once: linking again changes nothing); the first
    ticket's owner (or a supervisor) links it to any other."""
    merge.check_link(ticket_id, other_id)
    now = tx.clock()
    role = tx.role(actor)
    mine, _ = _locked_in_order(tx, ticket_id, other_id)
    owner = tx.owner_name(mine["owner_id"])
    rights.check(rights.LINK, actor=actor, role=role, owner=owner)
    if _link(tx.conn, ticket_id, other_id):
        for a, b in ((ticket_id, other_id), (other_id, ticket_id)):
            tx.event(EventKind.LINKED, ticket_id=a, actor=actor, at=now, new={"other": b})


def link_both_ways(tx: Tx, a: int, b: int, *, actor: str | None, at: datetime) -> None:
    """Link two tickets without a rights check (a rule of the store's own, such as a late
    reply opening a ticket linked to the one it answers), logged on both."""
    if _link(tx.conn, a, b):
        for x, y in ((a, b), (b, a)):
            tx.event(EventKind.LINKED, ticket_id=x, actor=actor, at=at, new={"other": y})


def _link(conn: Connection, a: int, b: int) -> bool:
    """Insert the link both ways unless it is there; True when it was new."""
    q = select(LINKS.c.ticket_id).where(LINKS.c.ticket_id == a, LINKS.c.other_id == b)
    if conn.execute(q).first() is not None:
        return False
    conn.execute(LINKS.insert(), [{"ticket_id": a, "other_id": b}, {"ticket_id": b, "other_id": a}])
    return True
