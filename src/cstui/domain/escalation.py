"""Escalations to departments: their life cycle and when each one is due.

Escalating never moves ownership (首问负责制): the owner stays responsible and is reminded
when the department's answer is overdue. Due times follow the documents: the green channel
(绿色通道, fresh food and medical devices) wants a solution within 2 hours of wall-clock time,
complex multi-department after-sales within 3 working days, and everything else a
per-department allowance in business time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from cstui.domain.calendar import BusinessCalendar, require_aware
from cstui.domain.model import (
    GREEN_GOODS,
    OPEN_ESCALATION_STATES,
    SUPERVISING_ROLES,
    Department,
    EscalationState,
    GoodsType,
    Role,
)
from cstui.errors import BadInput, Conflict, PermissionDenied

_S = EscalationState

ESCALATION_TRANSITIONS: Mapping[EscalationState, frozenset[EscalationState]] = MappingProxyType(
    {
        _S.REQUESTED: frozenset({_S.ACKNOWLEDGED, _S.DONE, _S.REJECTED}),
        _S.ACKNOWLEDGED: frozenset({_S.DONE, _S.REJECTED}),
        _S.DONE: frozenset(),
        _S.REJECTED: frozenset(),
    }
)

GREEN_CHANNEL_WINDOW = timedelta(hours=2)
COMPLEX_WORKING_DAYS = 3


def transition(current: EscalationState, new: EscalationState) -> EscalationState:
    """The new state if the life cycle allows it; done and rejected are final."""
    try:
        current, new = EscalationState(current), EscalationState(new)
    except ValueError as err:
        raise BadInput(f"unknown escalation state: {err}") from None
    if new not in ESCALATION_TRANSITIONS[current]:
        raise Conflict(f"escalation is {current}; cannot go to {new}")
    return new


def _default_due() -> Mapping[Department, timedelta]:
    """The supervisor answers fastest, tech next; other departments within a working day."""
    due = {department: timedelta(hours=8) for department in Department}
    due |= {Department.SUPERVISOR: timedelta(hours=2), Department.TECH: timedelta(hours=4)}
    return MappingProxyType(due)


@dataclass(frozen=True)
class EscalationPolicy:
    """How long departments have to answer; the documents' figures are the defaults."""

    green_window: timedelta = GREEN_CHANNEL_WINDOW
    complex_working_days: int = COMPLEX_WORKING_DAYS
    default_due: Mapping[Department, timedelta] = field(default_factory=_default_due)

    def __post_init__(self) -> None:
        """Fail at configuration time rather than on the first escalation to a department."""
        if self.green_window <= timedelta(0):
            raise BadInput("escalation green_window must be positive")
        if self.complex_working_days < 1:
            raise BadInput("escalation complex_working_days must be at least 1")
        for department in Department:
            allowance = self.default_due.get(department)
            if allowance is None or allowance <= timedelta(0):
                raise BadInput(f"escalation default_due: {department} needs a positive time")

    @classmethod
    def default(cls) -> EscalationPolicy:
        return cls()


def green_eligible(goods_type: GoodsType | None, actor_role: Role) -> bool:
    """Fresh food and medical devices qualify by themselves; otherwise a supervisor decides."""
    return goods_type in GREEN_GOODS or actor_role in SUPERVISING_ROLES


def check_green(goods_type: GoodsType | None, actor_role: Role) -> None:
    """Refuse the green channel to goods that do not qualify, unless a supervisor asks."""
    if not green_eligible(goods_type, actor_role):
        raise PermissionDenied(
            "green channel: fresh food and medical devices only, or a supervisor's call"
        )


def check_green_channel(
    goods_type: GoodsType | None, actor_role: Role, *, ticket_id: int, green_already: bool
) -> None:
    """Putting a ticket on the green channel: it must qualify, and not be there already."""
    check_green(goods_type, actor_role)
    if green_already:
        raise Conflict(f"ticket {ticket_id} is on the green channel already")


def escalation_due(
    at: datetime,
    *,
    department: Department,
    green: bool,
    complex_case: bool,
    cal: BusinessCalendar,
    policy: EscalationPolicy,
) -> datetime:
    """When the department's answer is due (UTC).

    Green wins over complex: an urgent fresh-food return is due in 2 hours even when it
    involves several departments. The green window is wall-clock time because the
    department head is contacted directly, whatever the hour.
    """
    require_aware(at, "at")
    if green:
        return at.astimezone(UTC) + policy.green_window
    if complex_case:
        return cal.add_working_days(at, policy.complex_working_days)
    return cal.add_business_time(at, policy.default_due[department])


def is_complex(departments: Iterable[Department]) -> bool:
    """Complex after-sales: two or more distinct departments besides the supervisor."""
    return len({Department(d) for d in departments} - {Department.SUPERVISOR}) >= 2


def is_overdue(due_at: datetime, state: EscalationState, now: datetime) -> bool:
    """Overdue when still open at or after its due time; answered escalations never are."""
    require_aware(due_at, "due_at")
    require_aware(now, "now")
    return state in OPEN_ESCALATION_STATES and now >= due_at
