"""Merging a duplicate ticket into another, and linking related ones (pure rules).

One customer writes on chat and by email about the same parcel: two tickets, one matter.
The duplicate is merged into the ticket that stays: its thread moves there, its events stay
with it (the log is append-only), and it is closed with a pointer to the survivor. The
survivor keeps its owner (first-contact ownership: whoever took the customer's request
owns it to the end); only when nobody owns it does the duplicate's owner carry over, so a
merge never takes a ticket away from anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from cstui.domain.model import Role
from cstui.domain.ownership import is_supervising
from cstui.errors import BadInput, Conflict


@dataclass(frozen=True, slots=True)
class MergeSide:
    """What the rules need of each ticket."""

    id: int
    customer_id: int
    owner: str | None
    active: bool
    merged_into: int | None
    open_escalations: int


def check_merge(dup: MergeSide, survivor: MergeSide, *, actor: str, role: Role) -> None:
    """Raise unless `dup` may be merged into `survivor` by `actor`."""
    if dup.id == survivor.id:
        raise BadInput("--into: a ticket cannot be merged into itself")
    if dup.customer_id != survivor.customer_id:
        raise Conflict(
            f"tickets {dup.id} and {survivor.id} belong to different customers; merge refused"
        )
    for side in (dup, survivor):
        if side.merged_into is not None:
            raise Conflict(f"ticket {side.id} was merged into {side.merged_into} already")
    if not survivor.active:
        raise Conflict(f"ticket {survivor.id} is closed; merge it into {dup.id} instead")
    if dup.open_escalations:
        raise Conflict(f"ticket {dup.id} has an open escalation; merge refused")
    check_may_change(dup.owner, survivor.owner, actor=actor, role=role)


def check_may_change(*owners: str | None, actor: str, role: Role) -> None:
    """The owner of either ticket (or a supervisor, or anyone while both are unowned)."""
    named = [o for o in owners if o is not None]
    if named and actor not in named and not is_supervising(role):
        raise Conflict(f"owned by {named[0]}", owner=named[0])


def surviving_owner(survivor_owner: str | None, dup_owner: str | None) -> str | None:
    """The survivor keeps its owner; an unowned survivor takes the duplicate's."""
    return survivor_owner if survivor_owner is not None else dup_owner


def check_link(a: int, b: int) -> None:
    if a == b:
        raise BadInput("link: a ticket cannot be linked to itself")
