"""Merge a duplicate ticket into another of the same customer, and link related tickets
(the rules are `domain.merge`; this is their transaction)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from cstui.domain import events, merge, rights, sla
from cstui.domain.model import EventKind, ResolutionCode, Role, Status, Ticket
from cstui.store import rows as R
from cstui.store import ticket_index
from cstui.store.schema import LINKS
from cstui.store.ticket_index import TicketDoc

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection, RowMapping

    from cstui.store.sql import SqlStore


def merge_tickets(store: SqlStore, ticket_id: int, *, into: int, actor: str) -> Ticket:
    """Move `ticket_id`'s thread into `into`, close it with a pointer, link the two."""
    now = store.clock()
    with store._write() as conn:
        role = Role(store._agent_row(conn, actor)["role"])
        dup, survivor = _locked_in_order(store, conn, ticket_id, into)
        dup_owner = store._owner_name(conn, dup["owner_id"])
        survivor_owner = store._owner_name(conn, survivor["owner_id"])
        merge.check_merge(
            _side(dup, dup_owner), _side(survivor, survivor_owner), actor=actor, role=role
        )
        before = (TicketDoc.read(conn, ticket_id), TicketDoc.read(conn, into))
        conn.execute(
            text("UPDATE messages SET ticket_id = :into WHERE ticket_id = :dup"),
            {"into": into, "dup": ticket_id},
        )
        _close_as_duplicate(store, conn, dup, into, now)
        _keep_survivor(store, conn, survivor, dup, dup_owner, survivor_owner, actor, now)
        _link(conn, ticket_id, into)
        store._event(conn, events.Merged(into=into), ticket_id=ticket_id, actor=actor, at=now)
        store._event(conn, events.Merged(from_=ticket_id), ticket_id=into, actor=actor, at=now)
        for old in before:
            ticket_index.replace(conn, old, TicketDoc.read(conn, old.id))
    return store.get_ticket(into)


def _locked_in_order(
    store: SqlStore, conn: Connection, a: int, b: int
) -> tuple[RowMapping, RowMapping]:
    """Both rows locked, the lower id first: two opposite merges cannot deadlock."""
    first, second = sorted((a, b))
    rows = {first: store._locked_ticket(conn, first)}
    rows[second] = store._locked_ticket(conn, second)
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


def _close_as_duplicate(
    store: SqlStore, conn: Connection, dup: RowMapping, into: int, now: datetime
) -> None:
    """Closed, resolved as a duplicate, its clock stopped, pointing at the survivor."""
    values: dict[str, Any] = {
        "status": Status.CLOSED.value,
        "active": 0,
        "merged_into": into,
        "resolved_at": now,
        "resolution_code": ResolutionCode.DUPLICATE.value,
        "follow_up_due": None,
        "last_activity_at": now,
        **R.clock_columns(sla.stop(R.clock_from_row(dict(dup)))),
    }
    store._change(conn, dup, values, at=now)


def _keep_survivor(
    store: SqlStore,
    conn: Connection,
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
    store._change(conn, survivor, values, at=now)
    if owner != survivor_owner:
        store._event(
            conn,
            EventKind.ROUTED,
            ticket_id=survivor["id"],
            actor=actor,
            at=now,
            old={"owner": None},
            new={"owner": owner, "reason": "merged"},
        )


def link_tickets(store: SqlStore, ticket_id: int, other_id: int, *, actor: str) -> Ticket:
    """Link two related tickets both ways (once: linking again changes nothing); the first
    ticket's owner (or a supervisor) links it to any other."""
    merge.check_link(ticket_id, other_id)
    now = store.clock()
    with store._write() as conn:
        role = Role(store._agent_row(conn, actor)["role"])
        mine, _ = _locked_in_order(store, conn, ticket_id, other_id)
        owner = store._owner_name(conn, mine["owner_id"])
        rights.check(rights.LINK, actor=actor, role=role, owner=owner)
        if _link(conn, ticket_id, other_id):
            for a, b in ((ticket_id, other_id), (other_id, ticket_id)):
                store._event(conn, events.Linked(other=b), ticket_id=a, actor=actor, at=now)
    return store.get_ticket(ticket_id, with_messages=False)


def _link(conn: Connection, a: int, b: int) -> bool:
    """Insert the link both ways unless it is there; True when it was new."""
    q = select(LINKS.c.ticket_id).where(LINKS.c.ticket_id == a, LINKS.c.other_id == b)
    if conn.execute(q).first() is not None:
        return False
    conn.execute(LINKS.insert(), [{"ticket_id": a, "other_id": b}, {"ticket_id": b, "other_id": a}])
    return True
