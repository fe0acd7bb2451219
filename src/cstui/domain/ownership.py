"""First-contact ownership (首问负责制): who may own, move and close a ticket.

The first agent who takes a customer's request owns it to the end. These rules decide every
change of ownership; the store applies them inside one transaction and records an event.
Escalating to a department is deliberately absent here: it never changes the owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cstui.domain.model import ACTIVE_STATUSES, SUPERVISING_ROLES, Role, Status
from cstui.errors import AlreadyOwned, BadInput, Conflict, PermissionDenied

RETURNING_CUSTOMER_WINDOW = timedelta(days=7)


def is_supervising(role: Role) -> bool:
    return role in SUPERVISING_ROLES


@dataclass(frozen=True, slots=True)
class OwnerChange:
    """A ticket in new hands: what the store writes."""

    owner: str
    dispatch_count: int
    status: Status


def hand_over(*, to: str, owner: str | None, dispatch_count: int, status: Status) -> OwnerChange:
    """The ticket passes to `to`: a new owner is one more dispatch, a new ticket opens."""
    return OwnerChange(
        owner=to,
        dispatch_count=next_dispatch_count(dispatch_count, owner, to),
        status=Status.OPEN if status is Status.NEW else status,
    )


def check_take(*, owner: str | None, status: Status, actor: str) -> None:
    """Taking is only from unowned, active tickets."""
    if owner is not None:
        raise AlreadyOwned(f"already owned by {owner}", owner=owner)
    if status not in ACTIVE_STATUSES:
        raise Conflict(f"ticket is {status}; reopen it before taking it")


def take(*, owner: str | None, status: Status, actor: str, dispatch_count: int) -> OwnerChange:
    """`actor` takes the ticket (the store holds its row locked, so two never both win)."""
    check_take(owner=owner, status=status, actor=actor)
    return hand_over(to=actor, owner=owner, dispatch_count=dispatch_count, status=status)


def require_reason(reason: str | None, action: str) -> str:
    """Every ownership move names a reason: it is what the audit trail is for."""
    text = (reason or "").strip()
    if not text:
        raise BadInput(f"reason: a {action} needs a reason")
    return text


@dataclass(frozen=True, slots=True)
class TransferPlan:
    """What a transfer does: move now, or wait for a supervisor's approval."""

    to: str
    reason: str
    needs_approval: bool


def plan_transfer(
    *,
    actor: str,
    actor_role: Role,
    owner: str | None,
    to: str,
    reason: str | None,
    approval_required: bool,
) -> TransferPlan:
    """A transfer is asked for by the owner (or a supervisor) and, by default, approved.

    A supervisor's own transfer needs no second approval: it is the approval.
    """
    text = require_reason(reason, "transfer")
    if owner is None:
        raise Conflict("ticket has no owner: take it instead of transferring it")
    if to == owner:
        raise BadInput(f"to: {to} already owns the ticket")
    if actor != owner and not is_supervising(actor_role):
        raise PermissionDenied(f"only the owner ({owner}) or a supervisor may transfer it")
    needs_approval = approval_required and not is_supervising(actor_role)
    return TransferPlan(to=to, reason=text, needs_approval=needs_approval)


def check_no_pending_transfer(ticket_id: int, pending_to: str | None) -> None:
    """One transfer waits for approval at a time: the next one once it is decided."""
    if pending_to is not None:
        raise Conflict(
            f"ticket {ticket_id} already has a transfer to {pending_to} waiting for approval"
        )


def may_transfer_now(ticket_id: int, pending_to: str | None, actor_role: Role) -> None:
    """What the console says at once on `x`: a transfer that would need approval while one
    already waits is refused (a supervisor's own transfer needs none, so it goes ahead)."""
    if not is_supervising(actor_role):
        check_no_pending_transfer(ticket_id, pending_to)


def check_decide_transfer(actor_role: Role) -> None:
    if not is_supervising(actor_role):
        raise PermissionDenied("only a supervisor may approve or deny a transfer")


def check_steal(*, actor_role: Role, owner: str | None, actor: str, reason: str | None) -> str:
    """Steal (强制接管) is a supervisor-only, audited action; returns the reason."""
    if not is_supervising(actor_role):
        raise PermissionDenied("only a supervisor may take a ticket from its owner")
    if owner == actor:
        raise Conflict(f"{actor} already owns the ticket", owner=owner)
    return require_reason(reason, "steal")


def check_may_work(*, owner: str | None, actor: str, actor_role: Role) -> None:
    """Replies and status changes come from the owner (or a supervisor stepping in)."""
    if owner is None:
        raise Conflict("nobody owns the ticket: take it first")
    if owner != actor and not is_supervising(actor_role):
        raise Conflict(f"owned by {owner}", owner=owner)


def check_resolve(*, open_escalations: int, actor_role: Role, override: bool) -> bool:
    """A ticket with an open escalation cannot be resolved, unless a supervisor overrides.

    Returns True when the resolution went through by override (the store audits it).
    """
    if open_escalations == 0:
        return False
    if not override:
        noun = "escalation is" if open_escalations == 1 else "escalations are"
        raise Conflict(f"{open_escalations} {noun} still open; resolve refused")
    if not is_supervising(actor_role):
        raise PermissionDenied("only a supervisor may resolve over an open escalation")
    return True


@dataclass(frozen=True, slots=True)
class PastContact:
    """A customer's earlier ticket as routing sees it."""

    owner: str | None
    last_activity_at: datetime


def returning_owner(
    contacts: Iterable[PastContact],
    *,
    now: datetime,
    window: timedelta = RETURNING_CUSTOMER_WINDOW,
) -> str | None:
    """A customer who comes back within the window, on any channel, reaches the same owner.

    The most recent owned contact inside the window wins.
    """
    recent = [c for c in contacts if c.owner and now - c.last_activity_at <= window]
    if not recent:
        return None
    return max(recent, key=lambda c: c.last_activity_at).owner


def next_dispatch_count(current: int, previous_owner: str | None, new_owner: str) -> int:
    """Counts distinct hand-offs: the number of owners the ticket has had."""
    return current if previous_owner == new_owner else current + 1
