"""Customer tiers (客户分层): who gets the fast lane, special care or onboarding help.

The documents found that treating everyone alike made a ¥50,000-a-year customer feel
"not valued". A customer can match several tiers at once (a VIP who just complained);
the primary tier is the one that decides service order, and every match is kept as a flag
with a human-readable reason so the agent sees why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cstui.domain.calendar import require_aware
from cstui.domain.model import TIER_RANK, Tier
from cstui.domain.money import yuan
from cstui.errors import BadInput


@dataclass(frozen=True)
class TierThresholds:
    """The documents' figures, configurable per shop."""

    vip_annual_spend: float = 50_000.0
    vip_top_share: float = 0.20
    high_frequency_orders: int = 12
    high_aov: float = 1_000.0
    new_customer_days: int = 30

    def __post_init__(self) -> None:
        """Fail at configuration time, not on the thousandth customer."""
        if not 0.0 <= self.vip_top_share <= 1.0:
            raise BadInput("tier vip_top_share must be between 0 and 1")
        if self.vip_annual_spend <= 0 or self.high_aov <= 0:
            raise BadInput("tier spend thresholds must be positive")
        if self.high_frequency_orders < 1 or self.new_customer_days < 0:
            raise BadInput("tier order and day thresholds must not be negative")


@dataclass(frozen=True)
class CustomerStats:
    """The figures a tier is decided from, as the store aggregates them."""

    annual_spend: float
    orders_last_year: int
    complaint_count: int
    first_order_at: datetime | None
    created_at: datetime

    def __post_init__(self) -> None:
        """Counts below zero or a NaN spend would classify silently and wrongly."""
        if math.isnan(self.annual_spend):
            raise BadInput("annual_spend must be a number")
        if self.orders_last_year < 0 or self.complaint_count < 0:
            raise BadInput("order and complaint counts must not be negative")
        require_aware(self.created_at, "created_at")
        if self.first_order_at is not None:
            require_aware(self.first_order_at, "first_order_at")

    @property
    def avg_order_value(self) -> float:
        """Spend per order over the last year; 0 for a customer without orders."""
        if self.orders_last_year == 0:
            return 0.0
        return self.annual_spend / self.orders_last_year


@dataclass(frozen=True)
class TierAssessment:
    """The primary tier, every tier that applies, and why."""

    tier: Tier
    flags: frozenset[Tier]
    reasons: tuple[str, ...]


def spend_cutoff(annual_spends: Sequence[float], top_share: float) -> float | None:
    """The spend at or above which a customer is in the top `top_share` of the population.

    The top share is floor(n × share) customers, at least one; ties at the cutoff all
    qualify. None for an empty population or a zero share. Customers with no spend are
    never VIP by share: `classify` requires a positive spend as well.
    """
    if not 0.0 <= top_share <= 1.0:
        raise BadInput("top_share must be between 0 and 1")
    if not annual_spends or top_share == 0.0:
        return None
    if any(math.isnan(s) for s in annual_spends):
        raise BadInput("annual spends must be numbers")
    k = max(1, math.floor(len(annual_spends) * top_share + 1e-9))
    return sorted(annual_spends, reverse=True)[k - 1]


def _money(amount: float) -> str:
    return yuan(amount)


def _vip_reasons(
    stats: CustomerStats, thresholds: TierThresholds, cutoff: float | None
) -> list[str]:
    reasons = []
    if stats.annual_spend >= thresholds.vip_annual_spend:
        reasons.append(
            f"annual spend {_money(stats.annual_spend)} ≥ {_money(thresholds.vip_annual_spend)}"
        )
    if cutoff is not None and stats.annual_spend > 0 and stats.annual_spend >= cutoff:
        reasons.append(f"top {thresholds.vip_top_share:.0%} by spend")
    return reasons


def _is_new(stats: CustomerStats, thresholds: TierThresholds, now: datetime) -> bool:
    """New while the account is younger than `new_customer_days`."""
    return now - stats.created_at < timedelta(days=thresholds.new_customer_days)


def _matches(
    stats: CustomerStats, thresholds: TierThresholds, now: datetime, cutoff: float | None
) -> dict[Tier, list[str]]:
    """Every tier that applies, with its reasons (in no particular order)."""
    found: dict[Tier, list[str]] = {}
    if vip := _vip_reasons(stats, thresholds, cutoff):
        found[Tier.VIP] = vip
    if stats.complaint_count == 1:
        found[Tier.FIRST_COMPLAINT] = ["1 complaint"]
    elif stats.complaint_count >= 2:
        found[Tier.PRIOR_COMPLAINANT] = [f"{stats.complaint_count} complaints"]
    aov = stats.avg_order_value
    if aov >= thresholds.high_aov:
        found[Tier.HIGH_AOV] = [f"average order {_money(aov)} ≥ {_money(thresholds.high_aov)}"]
    if stats.orders_last_year >= thresholds.high_frequency_orders:
        found[Tier.HIGH_FREQUENCY] = [
            f"{stats.orders_last_year} orders in the last year ≥ {thresholds.high_frequency_orders}"
        ]
    if _is_new(stats, thresholds, now):
        days = max(0, (now - stats.created_at).days)
        found[Tier.NEW] = [f"customer for {days} days"]
    return found


def classify(
    stats: CustomerStats,
    thresholds: TierThresholds,
    now: datetime,
    top_share_cutoff: float | None = None,
) -> TierAssessment:
    """Decide a customer's tier.

    Precedence of the primary tier: VIP > first complaint > prior complainant > high
    average order value > high frequency > new > standard (model.TIER_RANK). Pass the
    population's `spend_cutoff` so the top 20% by spend counts as VIP too.
    """
    require_aware(now, "now")
    found = _matches(stats, thresholds, now, top_share_cutoff)
    if not found:
        return TierAssessment(Tier.STANDARD, frozenset({Tier.STANDARD}), ("standard",))
    ordered = sorted(found, key=TIER_RANK.__getitem__)
    reasons = tuple(reason for tier in ordered for reason in found[tier])
    return TierAssessment(ordered[0], frozenset(found), reasons)
