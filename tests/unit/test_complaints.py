"""Complaints: the same matter, second complaints, follow-up calls and the early warning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstui.domain.calendar import BusinessCalendar
from cstui.domain.complaints import (
    REPEAT_CONTACTS,
    FollowUpPolicy,
    complaint_risk,
    follow_up_due,
    is_second_complaint,
    matter_key,
)
from cstui.domain.model import KEY_TIERS, Category, Tier
from cstui.errors import BadInput

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar()

customers = st.integers(min_value=1, max_value=4)
orders = st.none() | st.sampled_from(["", "E20260301001", "E20260301002"])
categories = st.sampled_from(Category)
counts = st.integers(min_value=0, max_value=6)
instants = st.datetimes(
    min_value=datetime(2025, 6, 1),
    max_value=datetime(2027, 6, 30),
    timezones=st.sampled_from([UTC, SH]),
)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time, as agents read it."""
    return datetime(year, month, day, hour, minute, tzinfo=SH)


# --- examples -----------------------------------------------------------------------------------


def test_same_order_is_the_same_matter_whatever_the_category() -> None:
    a = matter_key(7, "E20260301001", Category.REFUND)
    b = matter_key(7, " E20260301001 ", Category.COMPLAINT)
    assert a == b
    assert is_second_complaint(b, [a, matter_key(7, None, Category.INVOICE)])
    assert not is_second_complaint(matter_key(8, "E20260301001", Category.REFUND), [a])


def test_follow_up_one_working_day_later() -> None:
    friday = sh(2026, 2, 13, 15)
    assert follow_up_due(friday, complaint=True, tier=Tier.STANDARD, cal=CAL) == sh(2026, 2, 14, 15)
    before_holiday = sh(2026, 9, 30, 10)
    assert follow_up_due(before_holiday, complaint=False, tier=Tier.VIP, cal=CAL) == sh(
        2026, 10, 8, 10
    )
    assert follow_up_due(friday, complaint=False, tier=Tier.HIGH_AOV, cal=CAL) is None
    later = follow_up_due(
        friday, complaint=True, tier=Tier.NEW, cal=CAL, policy=FollowUpPolicy(delay_working_days=2)
    )
    assert later == sh(2026, 2, 24, 15)


def test_early_warning_examples() -> None:
    calm = complaint_risk(contacts_last_7_days=1, overdue_promises=0, prior_complaints=0)
    assert calm == complaint_risk(contacts_last_7_days=1, overdue_promises=0, prior_complaints=0)
    assert not calm.flagged and calm.reasons == ()
    hot = complaint_risk(
        contacts_last_7_days=4, overdue_promises=1, prior_complaints=2, negative_csat=1
    )
    assert hot.flagged
    assert hot.reasons == (
        "4 contacts in 7 days",
        "1 overdue promise",
        "2 earlier complaints, in touch again",
        "1 low CSAT score (1-2)",
    )
    with pytest.raises(BadInput):
        complaint_risk(contacts_last_7_days=-1, overdue_promises=0, prior_complaints=0)


# --- properties -----------------------------------------------------------------------------------


@given(c1=customers, o1=orders, k1=categories, c2=customers, o2=orders, k2=categories)
def test_matter_keys_group_by_order_else_category(
    c1: int, o1: str | None, k1: Category, c2: int, o2: str | None, k2: Category
) -> None:
    same_matter = c1 == c2 and ((o1 or None) == (o2 or None)) and (bool(o1) or k1 == k2)
    assert (matter_key(c1, o1, k1) == matter_key(c2, o2, k2)) == same_matter


@given(matter=st.text(max_size=5), earlier=st.lists(st.text(max_size=5), max_size=5))
def test_second_complaint_is_membership(matter: str, earlier: list[str]) -> None:
    assert is_second_complaint(matter, iter(earlier)) == (matter in earlier)


@given(at=instants, complaint=st.booleans(), tier=st.sampled_from(Tier))
def test_follow_up_for_complaints_and_key_customers(
    at: datetime, complaint: bool, tier: Tier
) -> None:
    got = follow_up_due(at, complaint=complaint, tier=tier, cal=CAL)
    if not complaint and tier not in KEY_TIERS:
        assert got is None
        return
    assert got is not None and got.tzinfo is UTC
    assert CAL.is_business_time(got)
    opening = CAL.next_opening(at).astimezone(SH).date()
    landed = got.astimezone(SH).date()
    skipped = [opening + timedelta(n) for n in range(1, (landed - opening).days)]
    assert landed > opening and CAL.is_working_day(landed)
    assert not any(CAL.is_working_day(d) for d in skipped)


@given(contacts=counts, overdue=counts, prior=counts, csat=counts)
def test_flagged_exactly_when_a_warning_sign_shows(
    contacts: int, overdue: int, prior: int, csat: int
) -> None:
    got = complaint_risk(
        contacts_last_7_days=contacts,
        overdue_promises=overdue,
        prior_complaints=prior,
        negative_csat=csat,
    )
    signs = [contacts >= REPEAT_CONTACTS, overdue > 0, prior > 0 and contacts > 0, csat > 0]
    assert got.flagged == any(signs)
    assert len(got.reasons) == sum(signs)
    assert all(reason.isascii() for reason in got.reasons)
