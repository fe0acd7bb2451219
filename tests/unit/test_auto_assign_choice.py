"""The pure choice of `auto_assign` and its `[automations]` settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from cstui.automation_config import AutomationSettings, automation_policy
from cstui.domain.automations import AgentLoad, AutomationPolicy, Rule, choose_agent
from cstui.domain.model import Role, Shift, Tier
from cstui.domain.rules import Rules
from cstui.errors import BadInput

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def _agent(name: str, load: int = 0, **kw: object) -> AgentLoad:
    base: dict[str, object] = {"role": Role.AGENT, "shift": Shift.MORNING, "paused": False}
    return AgentLoad(name=name, open_tickets=load, **(base | kw))  # type: ignore[arg-type]


def test_fewest_open_tickets_wins() -> None:
    assert choose_agent([_agent("a", 3), _agent("b", 1), _agent("c", 2)], NOW, TZ) == "b"


def test_paused_off_shift_shiftless_and_supervisors_are_never_chosen() -> None:
    never = [
        _agent("paused", paused=True),
        _agent("evening", shift=Shift.EVENING),
        _agent("none", shift=None),
        _agent("sue", role=Role.SUPERVISOR),
    ]
    assert choose_agent(never, NOW, TZ) is None
    assert choose_agent([*never, _agent("busy", 40)], NOW, TZ) == "busy"


def test_a_tie_goes_to_the_never_assigned_then_the_least_recent() -> None:
    earlier, later = NOW - timedelta(minutes=5), NOW - timedelta(minutes=1)
    assert choose_agent([_agent("a", last_assigned=later), _agent("b")], NOW, TZ) == "b"
    both = [_agent("a", last_assigned=later), _agent("b", last_assigned=earlier)]
    assert choose_agent(both, NOW, TZ) == "b"


def test_settings_turn_it_on_with_waits_by_tier() -> None:
    rules = Rules()
    assert Rule.AUTO_ASSIGN not in automation_policy(AutomationSettings(), rules).rules
    assert Rule.AUTO_ASSIGN not in AutomationPolicy().rules
    on = AutomationSettings(auto_assign=True, auto_assign_minutes={"vip": 2, "default": 15})
    policy = automation_policy(on, rules)
    assert Rule.AUTO_ASSIGN in policy.rules
    assert policy.unowned_wait(Tier.VIP) == timedelta(minutes=2)
    assert policy.unowned_wait(Tier.NEW) == timedelta(minutes=15)
    off = AutomationSettings(auto_assign=True, off=["auto_assign"])
    assert Rule.AUTO_ASSIGN not in automation_policy(off, rules).rules


@pytest.mark.parametrize(
    ("waits", "says"),
    [({"gold": 2}, "no tier 'gold'"), ({"vip": 0}, "vip: minutes must be positive")],
)
def test_wrong_waits_are_one_line_naming_them(waits: dict[str, int], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        AutomationSettings(auto_assign_minutes=waits)


def test_the_policy_refuses_a_wait_of_nothing() -> None:
    with pytest.raises(BadInput):
        AutomationPolicy(auto_assign_default=timedelta(0))
