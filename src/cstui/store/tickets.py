"""A ticket's life: created (and routed to a returning customer's owner), taken, its status
and priority changed, resolved. Each is one transaction that locks the row, asks the
domain's rules, writes what they return and logs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping

from cstui.assist.triage import triage
from cstui.domain import complaints, lifecycle, ownership, rights, sla
from cstui.domain.model import (
    ACTIVE_STATUSES,
    TIER_RANK,
    Category,
    EventKind,
    MessageKind,
    Priority,
    ResolutionCode,
    Status,
    Tier,
)
from cstui.errors import BadInput, Conflict, NotFound
from cstui.store import outbox, ticket_index
from cstui.store import rows as R
from cstui.store.base import NewTicket
from cstui.store.complaint_warning import raise_if_at_risk
from cstui.store.complaints import is_second_complaint, note_complaint
from cstui.store.messages import NO_ORIGIN, Origin
from cstui.store.schema import AGENTS, MESSAGES, ORDERS, TICKETS
from cstui.store.tx import Tx


def create_ticket(tx: Tx, *, ticket: NewTicket, actor: str | None) -> int:
    """A new ticket with the customer's first message; its id."""
    return open_ticket(tx, ticket=ticket, actor=actor)[0]


def open_ticket(
    tx: Tx, *, ticket: NewTicket, actor: str | None, origin: Origin = NO_ORIGIN
) -> tuple[int, int]:
    """A new ticket with the customer's first message (from `origin` when it came by a
    channel); the ticket's id and the message's (the subject is checked by `CreateTicket`)."""
    now = tx.clock()
    customer = tx.customer(ticket.customer_id)
    order = _order_for(tx, ticket.order_number, ticket.customer_id)
    tier = Tier(customer["tier"])
    clock = sla.start_clock(now, ticket.priority, tier, tx.rules.sla, tx.rules.calendar)
    complaint = ticket.complaint_cause is not None or ticket.category is Category.COMPLAINT
    matter = complaints.matter_key(ticket.customer_id, ticket.order_number, ticket.category)
    second = complaint and is_second_complaint(tx, ticket.customer_id, matter)
    routed_to = _returning_owner(tx, ticket.customer_id, now)
    values = {
        "subject": ticket.subject.strip(),
        "priority": ticket.priority.value,
        "channel": ticket.channel.value,
        "category": ticket.category.value,
        "customer_id": ticket.customer_id,
        "order_id": order["id"] if order else None,
        "owner_id": routed_to["id"] if routed_to else None,
        "status": (Status.OPEN if routed_to else Status.NEW).value,
        "dispatch_count": 1 if routed_to else 0,
        "version": 1,
        "tier": tier.value,
        "active": 1,
        "green_rank": 1,
        "tier_rank": TIER_RANK[tier],
        "open_escalations": 0,
        "complaint_cause": ticket.complaint_cause.value if ticket.complaint_cause else None,
        "second_complaint": int(second),
        "matter_key": matter if complaint else None,
        "created_at": now,
        "updated_at": now,
        "last_activity_at": now,
        **R.clock_columns(clock),
    }
    ticket_id = tx.insert(TICKETS, values)
    message_id = tx.insert(
        MESSAGES,
        {
            "ticket_id": ticket_id,
            "kind": MessageKind.CUSTOMER.value,
            "channel": ticket.channel.value,
            "author": customer["name"],
            "body": ticket.body,
            "created_at": now,
            **origin.columns(),
        },
    )
    ticket_index.index_ticket(tx.conn, ticket_id)  # searchable as soon as this commits
    tx.event(
        EventKind.CREATED,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        new={
            "channel": ticket.channel.value,
            "category": ticket.category.value,
            "priority": ticket.priority.value,
            "tier": tier.value,
            "customer_id": ticket.customer_id,
            "complaint": complaint,
            **triage(f"{ticket.subject}\n{ticket.body}").logged(),
        },
    )
    if complaint:
        note_complaint(
            tx,
            ticket_id=ticket_id,
            customer_id=ticket.customer_id,
            cause=ticket.complaint_cause,
            second=second,
            actor=actor,
            at=now,
        )
    if routed_to:
        tx.event(
            EventKind.ROUTED,
            ticket_id=ticket_id,
            actor=actor,
            at=now,
            old={"owner": None},
            new={"owner": routed_to["name"], "reason": "returning customer"},
        )
    raise_if_at_risk(
        tx,
        ticket_id=ticket_id,
        customer_id=ticket.customer_id,
        prior_complaints=int(customer["complaint_count"]),
        actor=actor,
        now=now,
    )
    return ticket_id, message_id


def _order_for(tx: Tx, number: str | None, customer_id: int) -> RowMapping | None:
    if number is None:
        return None
    m = tx.conn.execute(select(ORDERS).where(ORDERS.c.number == number)).mappings().first()
    if m is None:
        raise NotFound(f"order {number}: no such order")
    if m["customer_id"] != customer_id:
        raise BadInput(f"order: {number} belongs to another customer")
    return m


def _returning_owner(tx: Tx, customer_id: int, now: datetime) -> RowMapping | None:
    """First-contact ownership across channels: recent owners get the customer back."""
    window = tx.rules.returning_window
    # The newest owned contact is the one that counts: read backwards on the customer's
    # (customer_id, last_activity_at) index and stop there, however many tickets they have.
    q = (
        select(TICKETS.c.owner_id, TICKETS.c.last_activity_at)
        .where(
            TICKETS.c.customer_id == customer_id,
            TICKETS.c.owner_id.is_not(None),
            TICKETS.c.last_activity_at >= now - window,
        )
        .order_by(TICKETS.c.last_activity_at.desc(), TICKETS.c.id.desc())
        .limit(1)
    )
    contacts = [
        ownership.PastContact(owner=str(oid), last_activity_at=at) for oid, at in tx.conn.execute(q)
    ]
    owner_id = ownership.returning_owner(contacts, now=now, window=window)
    if owner_id is None:
        return None
    q_agent = select(AGENTS).where(AGENTS.c.id == int(owner_id))
    agent = tx.conn.execute(q_agent).mappings().first()
    # A paused agent (a supervisor's call) gets no new work: the ticket waits unassigned.
    return None if agent is None or agent["routing_paused"] else agent


def take(tx: Tx, *, ticket_id: int, actor: str) -> None:
    """The agent takes an unowned ticket. The row is locked first, so of two agents taking
    it at once the second sees the first as its owner (`AlreadyOwned`)."""
    assign_owner(tx, ticket_id=ticket_id, owner=actor, actor=actor)


def assign_owner(tx: Tx, *, ticket_id: int, owner: str, actor: str) -> None:
    """`owner` takes the unowned ticket, by their own hand or (`actor` = system) given it by
    the auto-assignment: the same first-contact rules, dispatch count and event either way."""
    now = tx.clock()
    agent = tx.agent(owner)
    row = tx.locked_ticket(ticket_id)
    change = ownership.take(
        owner=tx.owner_name(row["owner_id"]),
        status=Status(row["status"]),
        actor=owner,
        dispatch_count=row["dispatch_count"],
    )
    values = {
        "owner_id": agent["id"],
        "dispatch_count": change.dispatch_count,
        "status": change.status.value,
        "last_activity_at": now,
    }
    tx.change(row, values, at=now)
    tx.event(
        EventKind.TAKEN,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        old={"owner": None},
        new={"owner": owner},
    )


def set_status(
    tx: Tx, *, ticket_id: int, actor: str, status: Status, expected_version: int | None
) -> None:
    lifecycle.check_settable(status)
    now = tx.clock()
    row = tx.ticket_for(ticket_id, actor=actor, right=rights.CHANGE_TICKET).row
    old = Status(row["status"])
    change = lifecycle.set_by_hand(old, status, R.clock_from_row(row), now, tx.rules.calendar)
    values: dict[str, Any] = {"status": change.status.value, "last_activity_at": now}
    if change.clock is not None:
        values.update(R.clock_columns(change.clock))
    tx.change(row, values, at=now, expected_version=expected_version)
    tx.event(
        EventKind.STATUS,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        old={"status": old.value},
        new={"status": status.value},
    )


def set_priority(
    tx: Tx, *, ticket_id: int, actor: str, priority: Priority, expected_version: int | None
) -> None:
    now = tx.clock()
    row = tx.ticket_for(ticket_id, actor=actor, right=rights.CHANGE_TICKET).row
    values: dict[str, Any] = {"priority": priority.value}
    if row["active"]:  # a finished ticket's clock is stopped: it keeps its deadlines
        clock = sla.retarget(
            R.clock_from_row(row),
            now,
            priority,
            Tier(row["tier"]),
            tx.rules.sla,
            tx.rules.calendar,
            row["created_at"],
        )
        values.update(R.clock_columns(clock))
    tx.change(row, values, at=now, expected_version=expected_version)
    tx.event(
        EventKind.PRIORITY,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        old={"priority": row["priority"]},
        new={"priority": priority.value},
    )


def set_category(tx: Tx, *, ticket_id: int, actor: str, category: Category) -> None:
    """The ticket filed under another category (an agent's correction of triage); the
    same category again changes nothing and logs nothing."""
    now = tx.clock()
    row = tx.ticket_for(ticket_id, actor=actor, right=rights.CHANGE_TICKET).row
    if row["category"] == category.value:
        return
    tx.change(row, {"category": category.value}, at=now)
    tx.event(
        EventKind.CATEGORY,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        old={"category": row["category"]},
        new={"category": category.value},
    )


def resolve(
    tx: Tx,
    *,
    ticket_id: int,
    actor: str,
    code: ResolutionCode,
    override: bool,
    expected_version: int | None,
) -> None:
    now = tx.clock()
    role = tx.role(actor)
    row = tx.locked_ticket(ticket_id)
    if row["status"] not in {s.value for s in ACTIVE_STATUSES}:
        raise Conflict(f"ticket {ticket_id} is {row['status']} already")
    owner = tx.owner_name(row["owner_id"])
    rights.check(rights.RESOLVE, actor=actor, role=role, owner=owner)
    overridden = ownership.check_resolve(
        open_escalations=row["open_escalations"], actor_role=role, override=override
    )
    follow_up = complaints.follow_up_due(
        now,
        complaint=row["matter_key"] is not None,
        tier=Tier(row["tier"]),
        cal=tx.rules.calendar,
        policy=tx.rules.follow_up,
    )
    values = {
        "status": Status.RESOLVED.value,
        "active": 0,
        "resolved_at": now,
        "resolution_code": code.value,
        "follow_up_due": follow_up,
        "last_activity_at": now,
        **R.clock_columns(sla.stop(R.clock_from_row(row))),
    }
    tx.change(row, values, at=now, expected_version=expected_version)
    outbox.queue_survey(tx, ticket=row)
    if overridden:
        tx.event(
            EventKind.RESOLVE_OVERRIDE,
            ticket_id=ticket_id,
            actor=actor,
            at=now,
            new={"open_escalations": row["open_escalations"]},
        )
    tx.event(
        EventKind.RESOLVED,
        ticket_id=ticket_id,
        actor=actor,
        at=now,
        old={"status": row["status"]},
        new={"code": code.value, "owner": owner},
    )
    if follow_up:
        tx.event(
            EventKind.FOLLOW_UP_SCHEDULED,
            ticket_id=ticket_id,
            actor=actor,
            at=now,
            new={"due": follow_up.isoformat()},
        )
