"""Escalations: the life cycle, the green channel, complex cases and department allowances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstui.domain.calendar import BusinessCalendar
from cstui.domain.escalation import (
    COMPLEX_WORKING_DAYS,
    ESCALATION_TRANSITIONS,
    GREEN_CHANNEL_WINDOW,
    EscalationPolicy,
    check_green,
    check_green_channel,
    escalation_due,
    green_eligible,
    is_complex,
    is_overdue,
    transition,
)
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

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar()
POLICY = EscalationPolicy.default()
S = EscalationState

instants = st.datetimes(
    min_value=datetime(2025, 6, 1),
    max_value=datetime(2027, 6, 30),
    timezones=st.sampled_from([UTC, SH, ZoneInfo("Europe/London")]),
    allow_imaginary=False,
)
states = st.sampled_from(EscalationState)
departments = st.sampled_from(Department)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time, as agents read it."""
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def due(at: datetime, department: Department, *, green: bool, complex_case: bool) -> datetime:
    return escalation_due(
        at, department=department, green=green, complex_case=complex_case, cal=CAL, policy=POLICY
    )


# --- examples --------------------------------------------------------------------------------


def test_the_documented_life_cycle() -> None:
    assert transition(S.REQUESTED, S.ACKNOWLEDGED) is S.ACKNOWLEDGED
    assert transition(S.ACKNOWLEDGED, S.DONE) is S.DONE
    assert transition(S.REQUESTED, S.REJECTED) is S.REJECTED
    with pytest.raises(Conflict, match="escalation is done; cannot go to acknowledged"):
        transition(S.DONE, S.ACKNOWLEDGED)
    with pytest.raises(BadInput):
        transition(S.REQUESTED, "finished")  # type: ignore[arg-type]


def test_warehouse_on_friday_afternoon_is_due_on_the_shifted_saturday() -> None:
    # 8 business hours: 5 h on Fri 2026-02-13, 3 h on Sat 2026-02-14 (调休).
    got = due(sh(2026, 2, 13, 17), Department.WAREHOUSE, green=False, complex_case=False)
    assert got == sh(2026, 2, 14, 11)


def test_green_channel_is_two_wall_clock_hours_even_at_night() -> None:
    got = due(sh(2026, 2, 17, 23, 30), Department.QC, green=True, complex_case=True)
    assert got == sh(2026, 2, 18, 1, 30)
    assert got.tzinfo is UTC


def test_complex_case_is_three_working_days() -> None:
    got = due(sh(2026, 9, 29, 10), Department.QC, green=False, complex_case=True)
    assert got == sh(2026, 10, 9, 10)  # 09-30, then National Day, then 10-08 and 10-09


def test_supervisor_and_tech_answer_faster() -> None:
    at = sh(2026, 3, 9, 9)
    assert due(at, Department.SUPERVISOR, green=False, complex_case=False) == sh(2026, 3, 9, 11)
    assert due(at, Department.TECH, green=False, complex_case=False) == sh(2026, 3, 9, 13)


def test_complex_means_two_departments_besides_the_supervisor() -> None:
    assert is_complex([Department.WAREHOUSE, Department.QC])
    assert not is_complex([Department.WAREHOUSE, Department.WAREHOUSE, Department.SUPERVISOR])


def test_a_policy_without_a_department_is_refused() -> None:
    with pytest.raises(BadInput):
        EscalationPolicy(default_due={Department.TECH: timedelta(hours=4)})
    with pytest.raises(BadInput):
        EscalationPolicy(complex_working_days=0)


# --- properties ---------------------------------------------------------------------------------


@given(current=states, new=states)
def test_transition_follows_the_table(current: EscalationState, new: EscalationState) -> None:
    if new in ESCALATION_TRANSITIONS[current]:
        assert transition(current, new) is new
    else:
        with pytest.raises(Conflict, match=f"escalation is {current}; cannot go to {new}"):
            transition(current, new)


@given(path=st.lists(states, max_size=6))
def test_every_path_ends_within_two_steps(path: list[EscalationState]) -> None:
    state, steps = S.REQUESTED, 0
    for new in path:
        if new in ESCALATION_TRANSITIONS[state]:
            state, steps = transition(state, new), steps + 1
    assert steps <= 2
    assert (state in OPEN_ESCALATION_STATES) == bool(ESCALATION_TRANSITIONS[state])


@given(goods=st.none() | st.sampled_from(GoodsType), role=st.sampled_from(Role))
def test_green_channel_eligibility(goods: GoodsType | None, role: Role) -> None:
    assert green_eligible(goods, role) == (goods in GREEN_GOODS or role in SUPERVISING_ROLES)


@given(goods=st.none() | st.sampled_from(GoodsType), role=st.sampled_from(Role), on=st.booleans())
def test_the_green_channel_checks(goods: GoodsType | None, role: Role, on: bool) -> None:
    if not green_eligible(goods, role):
        with pytest.raises(PermissionDenied, match="fresh food and medical devices"):
            check_green(goods, role)
        with pytest.raises(PermissionDenied):
            check_green_channel(goods, role, ticket_id=7, green_already=on)
        return
    check_green(goods, role)
    if on:
        with pytest.raises(Conflict, match="ticket 7 is on the green channel already"):
            check_green_channel(goods, role, ticket_id=7, green_already=on)
    else:
        check_green_channel(goods, role, ticket_id=7, green_already=on)


@given(at=instants, department=departments, complex_case=st.booleans())
def test_green_is_wall_clock_and_wins(
    at: datetime, department: Department, complex_case: bool
) -> None:
    got = due(at, department, green=True, complex_case=complex_case)
    assert got == at.astimezone(UTC) + GREEN_CHANNEL_WINDOW and got.tzinfo is UTC
    assert got - at == GREEN_CHANNEL_WINDOW  # elapsed time, even across a DST change


@given(at=instants, department=departments)
def test_complex_is_working_days(at: datetime, department: Department) -> None:
    got = due(at, department, green=False, complex_case=True)
    assert got == CAL.add_working_days(at, COMPLEX_WORKING_DAYS)
    assert CAL.is_business_time(got)


@given(at=instants, department=departments)
def test_ordinary_is_the_department_allowance_in_business_time(
    at: datetime, department: Department
) -> None:
    got = due(at, department, green=False, complex_case=False)
    assert CAL.business_time_between(at, got) == POLICY.default_due[department]


@given(chosen=st.lists(departments, max_size=6))
def test_is_complex_counts_distinct_departments(chosen: list[Department]) -> None:
    distinct = set(chosen) - {Department.SUPERVISOR}
    assert is_complex(chosen) == (len(distinct) >= 2)
    assert is_complex(chosen) == is_complex(reversed(chosen))


@given(due_at=instants, state=states, now=instants)
def test_only_open_escalations_can_be_overdue(
    due_at: datetime, state: EscalationState, now: datetime
) -> None:
    assert is_overdue(due_at, state, now) == (state in OPEN_ESCALATION_STATES and now >= due_at)
