"""Complaints (投诉): same-matter detection, follow-up (回访) and the early warning (投诉预警).

A second complaint on the same matter (二次投诉) is the worst outcome the documents track
(target below 1.5%), so the console must recognise "the same matter" reliably. Complaints
and key customers get a follow-up call one working day after resolution (a 100% reach rate
is expected), and customers likely to complain are flagged before they do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cstui.domain.calendar import BusinessCalendar, require_aware
from cstui.domain.model import KEY_TIERS, Category, Tier
from cstui.errors import BadInput

REPEAT_CONTACTS = 3  # contacts in 7 days that signal a customer going round in circles
LOW_CSAT_MAX = 2  # scores 1-2 on the 5-level scale are dissatisfied


def matter_key(customer_id: int, order_number: str | None, category: Category) -> str:
    """A stable key for "the same matter": one order of one customer, or else one category.

    An order number pins the matter down whatever the category the agent chose; without
    one, the customer's category is the best available grouping.
    """
    order = (order_number or "").strip()
    if order:
        return f"customer:{customer_id}:order:{order.upper()}"
    return f"customer:{customer_id}:category:{Category(category)}"


def is_second_complaint(matter: str, earlier_complaint_matters: Iterable[str]) -> bool:
    """二次投诉: the customer already complained about this same matter."""
    return any(matter == earlier for earlier in earlier_complaint_matters)


@dataclass(frozen=True)
class FollowUpPolicy:
    """When the follow-up call (回访) is due after resolution."""

    delay_working_days: int = 1

    def __post_init__(self) -> None:
        if self.delay_working_days < 0:
            raise BadInput("follow-up delay_working_days must not be negative")


def follow_up_due(
    resolved_at: datetime,
    *,
    complaint: bool,
    tier: Tier,
    cal: BusinessCalendar,
    policy: FollowUpPolicy = FollowUpPolicy(),
) -> datetime | None:
    """When to call back: complaints and key customers only, None for everyone else."""
    require_aware(resolved_at, "resolved_at")
    if not complaint and tier not in KEY_TIERS:
        return None
    return cal.add_working_days(resolved_at, policy.delay_working_days)


@dataclass(frozen=True)
class RiskSignal:
    """Whether a customer is likely to complain, and the reasons shown to the agent."""

    flagged: bool
    reasons: tuple[str, ...]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def complaint_risk(
    *,
    contacts_last_7_days: int,
    overdue_promises: int,
    prior_complaints: int,
    negative_csat: int = 0,
) -> RiskSignal:
    """投诉预警: repeat contacts, broken promises, a complaint history or a low CSAT.

    Overdue promises are breached SLA deadlines or overdue escalations; a prior complaint
    counts only when the customer is back in touch, since that is when it matters.
    """
    counts = (contacts_last_7_days, overdue_promises, prior_complaints, negative_csat)
    if any(n < 0 for n in counts):
        raise BadInput("complaint risk counts must not be negative")
    reasons = []
    if contacts_last_7_days >= REPEAT_CONTACTS:
        reasons.append(f"{_plural(contacts_last_7_days, 'contact')} in 7 days")
    if overdue_promises:
        reasons.append(_plural(overdue_promises, "overdue promise"))
    if prior_complaints and contacts_last_7_days:
        reasons.append(f"{_plural(prior_complaints, 'earlier complaint')}, in touch again")
    if negative_csat:
        reasons.append(f"{_plural(negative_csat, 'low CSAT score')} (1-{LOW_CSAT_MAX})")
    return RiskSignal(flagged=bool(reasons), reasons=tuple(reasons))
