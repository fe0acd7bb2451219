"""First-contact ownership rules, as properties over any owner, actor, role and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstui.domain import ownership
from cstui.domain.model import ACTIVE_STATUSES, SUPERVISING_ROLES, Role, Status
from cstui.errors import AlreadyOwned, BadInput, Conflict, PermissionDenied

names = st.sampled_from(["alice", "bob", "carol", "sue"])
maybe_names = st.none() | names
roles = st.sampled_from(list(Role))
statuses = st.sampled_from(list(Status))
reasons = st.text(max_size=20)
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@given(owner=maybe_names, status=statuses, actor=names)
def test_take_only_from_unowned_active(owner: str | None, status: Status, actor: str) -> None:
    allowed = owner is None and status in ACTIVE_STATUSES
    if allowed:
        ownership.check_take(owner=owner, status=status, actor=actor)
        return
    with pytest.raises(Conflict) as refused:
        ownership.check_take(owner=owner, status=status, actor=actor)
    if owner is not None:
        assert isinstance(refused.value, AlreadyOwned) and refused.value.owner == owner


@given(actor=names, role=roles, owner=maybe_names, to=names, reason=reasons, approval=st.booleans())
def test_transfer_rules(
    actor: str, role: Role, owner: str | None, to: str, reason: str, approval: bool
) -> None:
    kwargs = dict(
        actor=actor, actor_role=role, owner=owner, to=to, reason=reason, approval_required=approval
    )
    if not reason.strip():
        with pytest.raises(BadInput):
            ownership.plan_transfer(**kwargs)  # type: ignore[arg-type]
        return
    if owner is None or to == owner or (actor != owner and role not in SUPERVISING_ROLES):
        with pytest.raises((Conflict, BadInput, PermissionDenied)):
            ownership.plan_transfer(**kwargs)  # type: ignore[arg-type]
        return
    plan = ownership.plan_transfer(**kwargs)  # type: ignore[arg-type]
    assert plan.to == to and plan.reason == reason.strip()
    # an agent's transfer waits for approval when configured; a supervisor's is the approval
    assert plan.needs_approval == (approval and role not in SUPERVISING_ROLES)


@given(role=roles, owner=maybe_names, actor=names, reason=reasons)
def test_steal_is_supervisor_only(role: Role, owner: str | None, actor: str, reason: str) -> None:
    if role not in SUPERVISING_ROLES:
        with pytest.raises(PermissionDenied):
            ownership.check_steal(actor_role=role, owner=owner, actor=actor, reason=reason)
    elif owner == actor or not reason.strip():
        with pytest.raises((Conflict, BadInput)):
            ownership.check_steal(actor_role=role, owner=owner, actor=actor, reason=reason)
    else:
        assert (
            ownership.check_steal(actor_role=role, owner=owner, actor=actor, reason=reason)
            == reason.strip()
        )


@given(open_escalations=st.integers(0, 5), role=roles, override=st.booleans())
def test_resolve_is_blocked_by_open_escalations(
    open_escalations: int, role: Role, override: bool
) -> None:
    if open_escalations == 0:
        assert (
            ownership.check_resolve(open_escalations=0, actor_role=role, override=override) is False
        )
    elif not override:
        with pytest.raises(Conflict):
            ownership.check_resolve(
                open_escalations=open_escalations, actor_role=role, override=False
            )
    elif role in SUPERVISING_ROLES:
        assert (
            ownership.check_resolve(
                open_escalations=open_escalations, actor_role=role, override=True
            )
            is True
        )
    else:
        with pytest.raises(PermissionDenied):
            ownership.check_resolve(
                open_escalations=open_escalations, actor_role=role, override=True
            )


contacts = st.lists(
    st.builds(
        ownership.PastContact,
        owner=maybe_names,
        last_activity_at=st.integers(0, 20 * 24 * 60).map(lambda m: NOW - timedelta(minutes=m)),
    ),
    max_size=8,
)


@given(history=contacts)
def test_returning_customer_reaches_the_latest_recent_owner(
    history: list[ownership.PastContact],
) -> None:
    routed = ownership.returning_owner(history, now=NOW)
    recent = [c for c in history if c.owner and NOW - c.last_activity_at <= timedelta(days=7)]
    if not recent:
        assert routed is None
    else:
        latest = max(c.last_activity_at for c in recent)
        assert routed in {c.owner for c in recent if c.last_activity_at == latest}


@given(owners=st.lists(names, min_size=1, max_size=12))
def test_dispatch_count_counts_hand_offs(owners: list[str]) -> None:
    count, previous = 0, None
    for owner in owners:
        count = ownership.next_dispatch_count(count, previous, owner)
        previous = owner
    changes = sum(1 for a, b in zip([None, *owners], owners, strict=False) if a != b)
    assert count == changes and 1 <= count <= len(owners)


@given(owner=maybe_names, actor=names, role=roles)
def test_only_the_owner_or_a_supervisor_works_a_ticket(
    owner: str | None, actor: str, role: Role
) -> None:
    if owner is not None and (owner == actor or role in SUPERVISING_ROLES):
        ownership.check_may_work(owner=owner, actor=actor, actor_role=role)
    else:
        with pytest.raises(Conflict):
            ownership.check_may_work(owner=owner, actor=actor, actor_role=role)


@given(owner=maybe_names, status=statuses, actor=names, count=st.integers(0, 5))
def test_taking_hands_the_ticket_over(
    owner: str | None, status: Status, actor: str, count: int
) -> None:
    if owner is not None or status not in ACTIVE_STATUSES:
        with pytest.raises(Conflict):
            ownership.take(owner=owner, status=status, actor=actor, dispatch_count=count)
        return
    change = ownership.take(owner=owner, status=status, actor=actor, dispatch_count=count)
    assert change.owner == actor and change.dispatch_count == count + 1
    assert change.status is (Status.OPEN if status is Status.NEW else status)


@given(owner=maybe_names, to=names, status=statuses, count=st.integers(0, 5))
def test_a_hand_over_opens_a_new_ticket_and_counts_new_owners(
    owner: str | None, to: str, status: Status, count: int
) -> None:
    change = ownership.hand_over(to=to, owner=owner, dispatch_count=count, status=status)
    assert change.owner == to
    assert change.dispatch_count == (count if owner == to else count + 1)
    assert change.status is (Status.OPEN if status is Status.NEW else status)
