"""Customer tiers: VIP by threshold or top share, complainants, AOV, frequency, newcomers."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cstui.domain.model import TIER_RANK, Tier
from cstui.domain.tiers import (
    CustomerStats,
    TierThresholds,
    classify,
    spend_cutoff,
)
from cstui.errors import BadInput

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
T = TierThresholds()

money = st.floats(min_value=0, max_value=200_000, allow_nan=False) | st.sampled_from(
    [0.0, 1_000.0, 12_000.0, 50_000.0]
)
stats_strategy = st.builds(
    CustomerStats,
    annual_spend=money,
    orders_last_year=st.integers(min_value=0, max_value=40),
    complaint_count=st.integers(min_value=0, max_value=5),
    first_order_at=st.none() | st.just(NOW - timedelta(days=200)),
    created_at=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2026, 3, 9), timezones=st.just(UTC)
    ),
)
cutoffs = st.none() | money


def stats(**changes: object) -> CustomerStats:
    base = CustomerStats(
        annual_spend=3_000.0,
        orders_last_year=6,
        complaint_count=0,
        first_order_at=NOW - timedelta(days=300),
        created_at=NOW - timedelta(days=400),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- examples ----------------------------------------------------------------------------------


def test_big_spender_is_vip_with_a_reason() -> None:
    got = classify(stats(annual_spend=62_000.0, complaint_count=3), T, NOW)
    assert got.tier is Tier.VIP
    assert got.flags == {Tier.VIP, Tier.PRIOR_COMPLAINANT, Tier.HIGH_AOV}
    assert got.reasons[0] == "annual spend ¥62,000.00 ≥ ¥50,000.00"
    assert "3 complaints" in got.reasons


def test_top_share_makes_a_smaller_spender_vip() -> None:
    got = classify(
        stats(annual_spend=9_000.0, orders_last_year=10), T, NOW, top_share_cutoff=8_000.0
    )
    assert got.tier is Tier.VIP and got.reasons == ("top 20% by spend",)


def test_first_complaint_outranks_high_aov_and_frequency() -> None:
    got = classify(stats(annual_spend=20_000.0, orders_last_year=15, complaint_count=1), T, NOW)
    assert got.tier is Tier.FIRST_COMPLAINT
    assert got.flags == {Tier.FIRST_COMPLAINT, Tier.HIGH_AOV, Tier.HIGH_FREQUENCY}


def test_new_and_standard() -> None:
    assert classify(stats(created_at=NOW - timedelta(days=12)), T, NOW).tier is Tier.NEW
    plain = classify(stats(), T, NOW)
    assert plain.tier is Tier.STANDARD and plain.flags == {Tier.STANDARD}


def test_no_orders_means_no_average() -> None:
    assert stats(orders_last_year=0).avg_order_value == 0.0
    assert stats(annual_spend=3_000.0, orders_last_year=2).avg_order_value == 1_500.0


def test_spend_cutoff_examples() -> None:
    assert spend_cutoff([], 0.2) is None
    assert spend_cutoff([float(n) for n in range(1, 11)], 0.2) == 9.0  # top 2 of 10
    assert spend_cutoff([5.0, 1.0, 1.0], 0.2) == 5.0  # at least one customer
    with pytest.raises(BadInput):
        spend_cutoff([1.0], 1.5)


def test_bad_stats_are_refused() -> None:
    with pytest.raises(BadInput):
        stats(orders_last_year=-1)
    with pytest.raises(BadInput):
        stats(created_at=datetime(2026, 1, 1))
    with pytest.raises(BadInput):
        TierThresholds(vip_top_share=2.0)


# --- properties ----------------------------------------------------------------------------------


@given(s=stats_strategy, cutoff=cutoffs)
def test_primary_tier_is_the_highest_ranked_flag(s: CustomerStats, cutoff: float | None) -> None:
    got = classify(s, T, NOW, cutoff)
    assert got.tier in got.flags
    assert got.tier == min(got.flags, key=TIER_RANK.__getitem__)
    assert (Tier.STANDARD in got.flags) == (got.flags == {Tier.STANDARD})
    assert len(got.reasons) >= len(got.flags)


@given(s=stats_strategy, cutoff=cutoffs)
def test_vip_exactly_when_spend_qualifies(s: CustomerStats, cutoff: float | None) -> None:
    by_share = cutoff is not None and s.annual_spend > 0 and s.annual_spend >= cutoff
    expected = s.annual_spend >= T.vip_annual_spend or by_share
    assert (classify(s, T, NOW, cutoff).tier is Tier.VIP) == expected


@given(s=stats_strategy, cutoff=cutoffs, extra=money)
def test_more_spend_never_loses_vip(s: CustomerStats, cutoff: float | None, extra: float) -> None:
    if classify(s, T, NOW, cutoff).tier is Tier.VIP:
        richer = replace(s, annual_spend=s.annual_spend + extra)
        assert classify(richer, T, NOW, cutoff).tier is Tier.VIP


@given(s=stats_strategy)
def test_each_rule_flags_its_tier(s: CustomerStats) -> None:
    flags = classify(s, T, NOW).flags
    assert (Tier.FIRST_COMPLAINT in flags) == (s.complaint_count == 1)
    assert (Tier.PRIOR_COMPLAINANT in flags) == (s.complaint_count >= 2)
    assert (Tier.HIGH_AOV in flags) == (s.avg_order_value >= T.high_aov)
    assert (Tier.HIGH_FREQUENCY in flags) == (s.orders_last_year >= T.high_frequency_orders)
    assert (Tier.NEW in flags) == (NOW - s.created_at < timedelta(days=T.new_customer_days))


@settings(max_examples=60)
@given(
    spends=st.lists(
        st.integers(min_value=0, max_value=100).map(float) | money, min_size=1, max_size=120
    ),
    share=st.sampled_from([0.05, 0.2, 0.5, 1.0]) | st.floats(min_value=0.01, max_value=1.0),
)
def test_cutoff_selects_the_top_share(spends: list[float], share: float) -> None:
    cutoff = spend_cutoff(spends, share)
    assert cutoff is not None
    k = max(1, math.floor(len(spends) * share + 1e-9))
    above = sum(s > cutoff for s in spends)
    at_or_above = sum(s >= cutoff for s in spends)
    assert above < k <= at_or_above  # exactly k, unless customers tie at the cutoff
    only_share = TierThresholds(vip_annual_spend=1e12)
    vips = sum(
        classify(stats(annual_spend=s), only_share, NOW, cutoff).tier is Tier.VIP for s in spends
    )
    if cutoff > 0:
        assert vips == at_or_above
    else:  # fewer paying customers than the top share: all of them, never a zero spender
        assert vips == sum(s > 0 for s in spends) < k
