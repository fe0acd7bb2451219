"""The `[automations]` settings: whether servers sweep on their own, how often, which rules
are on and their thresholds. Validated here (pydantic) and again by the domain's policy, so
a wrong value is one line naming the setting.

    [automations]
    enabled = true
    interval_seconds = 30
    green_warning_minutes = 90
    green_escalation_minutes = 120
    risk_share = 0.8
    off = ["follow_up_due"]
    auto_assign = true                           # off unless said so
    auto_assign_minutes = { vip = 2, default = 10 }
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, field_validator, model_validator

if TYPE_CHECKING:
    from cstui.domain.automations import AutomationPolicy
    from cstui.domain.rules import Rules


class AutomationSettings(BaseModel):
    enabled: bool = False
    interval_seconds: float = Field(30.0, gt=0, le=3600)
    green_warning_minutes: int = Field(90, gt=0)
    green_escalation_minutes: int = Field(120, gt=0)
    risk_share: float = Field(0.8, gt=0, lt=1)
    complex_warning_days: int = Field(2, ge=1)
    low_csat: int = Field(2, ge=1, le=5)
    catch_up_hours: float = Field(24.0, gt=0)
    off: list[str] = []  # rules turned off, by name (`cstui automations list`)
    auto_assign: bool = False  # it changes owners, so it is on only when said so
    auto_assign_minutes: dict[str, int] = {}  # by tier, and "default" for the others

    @field_validator("auto_assign_minutes")
    @classmethod
    def _known_tiers(cls, waits: dict[str, int]) -> dict[str, int]:
        from cstui.domain.model import Tier

        known = {t.value for t in Tier} | {"default"}
        for name, minutes in waits.items():
            if name not in known:
                raise ValueError(f"no tier {name!r} (tiers: {', '.join(sorted(known))})")
            if minutes <= 0:
                raise ValueError(f"{name}: minutes must be positive, got {minutes}")
        return waits

    @field_validator("off")
    @classmethod
    def _known_rules(cls, names: list[str]) -> list[str]:
        from cstui.domain.automations import Rule

        known = {r.value for r in Rule}
        for name in names:
            if name not in known:
                raise ValueError(f"no rule {name!r} (rules: {', '.join(sorted(known))})")
        return names

    @model_validator(mode="after")
    def _order(self) -> AutomationSettings:
        if self.green_warning_minutes >= self.green_escalation_minutes:
            raise ValueError("green_warning_minutes must be less than green_escalation_minutes")
        return self


def automation_policy(settings: AutomationSettings, rules: Rules) -> AutomationPolicy:
    """The domain's policy from `[automations]` and the store's SLA and calendar."""
    from cstui.domain.automations import OPT_IN_RULES, AutomationPolicy, Rule
    from cstui.domain.automations.model import AUTO_ASSIGN_MINUTES
    from cstui.domain.model import Tier

    opted = {Rule.AUTO_ASSIGN} if settings.auto_assign else set()
    waits = dict(settings.auto_assign_minutes)
    default = waits.pop("default", AUTO_ASSIGN_MINUTES)
    return AutomationPolicy(
        enabled=settings.enabled,
        interval=timedelta(seconds=settings.interval_seconds),
        rules=frozenset(Rule) - (OPT_IN_RULES - opted) - {Rule(name) for name in settings.off},
        green_warning=timedelta(minutes=settings.green_warning_minutes),
        green_escalation=timedelta(minutes=settings.green_escalation_minutes),
        risk_share=settings.risk_share,
        complex_warning_days=settings.complex_warning_days,
        low_csat=settings.low_csat,
        catch_up=timedelta(hours=settings.catch_up_hours),
        auto_assign_after={Tier(t): timedelta(minutes=m) for t, m in waits.items()},
        auto_assign_default=timedelta(minutes=default),
        sla=rules.sla,
        calendar=rules.calendar,
    )
