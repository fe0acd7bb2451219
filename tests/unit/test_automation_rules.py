"""The automations' pure rules: when each fires, for which instance, and to whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cstui.automation_config import AutomationSettings, automation_policy
from cstui.config import load_settings
from cstui.domain.automations import (
    SUPERVISORS,
    AutomationPolicy,
    EscalationFacts,
    EventFacts,
    GreenFacts,
    Notify,
    OpenEscalation,
    Rule,
    TicketFacts,
    evaluate_escalation,
    evaluate_event,
    evaluate_green,
    evaluate_ticket,
)
from cstui.domain.model import Department, EscalationState, EventKind, Priority, Tier
from cstui.domain.rules import Rules
from cstui.errors import BadInput

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in Shanghai
POLICY = AutomationPolicy()


def _rules(firings: list) -> list[Rule]:  # type: ignore[type-arg]
    return sorted(f.rule for f in firings)


def test_green_warns_at_90_minutes_and_escalates_at_2_hours() -> None:
    g = GreenFacts(ticket_id=7, owner="alice", since=T0)
    assert evaluate_green(g, T0 + timedelta(minutes=89, seconds=59), POLICY) == []
    [warn] = evaluate_green(g, T0 + timedelta(minutes=90), POLICY)
    assert warn.rule is Rule.GREEN_WARNING and warn.key == (
        "green_warning",
        7,
        T0.isoformat(timespec="microseconds"),
    )
    assert isinstance(warn.actions[0], Notify) and warn.actions[0].recipients == (
        "alice",
        SUPERVISORS,
    )
    both = evaluate_green(g, T0 + timedelta(hours=2), POLICY)
    assert _rules(both) == [Rule.GREEN_ESCALATION, Rule.GREEN_WARNING]
    escalate = next(f for f in both if f.rule is Rule.GREEN_ESCALATION)
    opened = [a for a in escalate.actions if isinstance(a, OpenEscalation)]
    assert opened == [OpenEscalation(Department.SUPERVISOR, green=True, reason=opened[0].reason)]
    assert (
        evaluate_green(GreenFacts(7, "alice", T0, active=False), T0 + timedelta(hours=3), POLICY)
        == []
    )


def test_a_moved_deadline_is_a_new_instance() -> None:
    early = TicketFacts(1, "bob", Priority.NORMAL, Tier.STANDARD, next_response_due=T0)
    later = TicketFacts(
        1, "bob", Priority.NORMAL, Tier.STANDARD, next_response_due=T0 + timedelta(hours=1)
    )
    [a] = evaluate_ticket(early, T0 + timedelta(hours=2), POLICY)
    [b] = evaluate_ticket(later, T0 + timedelta(hours=2), POLICY)
    assert a.rule is b.rule is Rule.NEXT_RESPONSE_BREACH and a.key != b.key


def test_at_risk_in_the_last_fifth_of_the_target_then_breached() -> None:
    # normal priority, standard tier: first response within 20 minutes; 80% used at -4 min
    t = TicketFacts(2, None, Priority.NORMAL, Tier.STANDARD, first_response_due=T0)
    assert evaluate_ticket(t, T0 - timedelta(minutes=4, seconds=1), POLICY) == []
    [risk] = evaluate_ticket(t, T0 - timedelta(minutes=4), POLICY)
    assert risk.rule is Rule.FIRST_RESPONSE_RISK and risk.due_at == T0 - timedelta(minutes=4)
    assert risk.actions[0].recipients == (SUPERVISORS,)  # type: ignore[union-attr]  # no owner
    [breach] = evaluate_ticket(t, T0, POLICY)
    assert breach.rule is Rule.FIRST_RESPONSE_BREACH and breach.due_at == T0


def test_vip_resolution_breach_goes_to_the_supervisors_only_for_vips() -> None:
    vip = TicketFacts(3, "bob", Priority.NORMAL, Tier.VIP, resolution_due=T0)
    std = TicketFacts(3, "bob", Priority.NORMAL, Tier.STANDARD, resolution_due=T0)
    assert _rules(evaluate_ticket(vip, T0, POLICY)) == [Rule.VIP_RESOLUTION_BREACH]
    assert evaluate_ticket(std, T0, POLICY) == []


def test_follow_up_fires_on_a_resolved_ticket() -> None:
    done = TicketFacts(4, "bob", Priority.LOW, Tier.VIP, follow_up_due=T0, active=False)
    assert _rules(evaluate_ticket(done, T0, POLICY)) == [Rule.FOLLOW_UP_DUE]


def test_overdue_department_and_complex_case_at_two_working_days() -> None:
    e = EscalationFacts(
        9, 5, "carol", Department.WAREHOUSE, EscalationState.REQUESTED, False, True,
        created_at=T0, due_at=T0 + timedelta(days=5),
    )  # fmt: skip
    two_days = POLICY.calendar.add_working_days(T0, 2)
    assert evaluate_escalation(e, two_days - timedelta(seconds=1), POLICY) == []
    assert _rules(evaluate_escalation(e, two_days, POLICY)) == [Rule.COMPLEX_CASE]
    assert _rules(evaluate_escalation(e, T0 + timedelta(days=5), POLICY)) == [
        Rule.COMPLEX_CASE,
        Rule.ESCALATION_OVERDUE,
    ]
    answered = EscalationFacts(9, 5, "carol", Department.WAREHOUSE, EscalationState.DONE, False,
                               True, created_at=T0, due_at=T0)  # fmt: skip
    assert evaluate_escalation(answered, T0 + timedelta(days=9), POLICY) == []


@pytest.mark.parametrize(
    ("facts", "rule"),
    [
        (EventFacts(1, 5, T0, EventKind.CSAT.value, "bob", score=2), Rule.LOW_CSAT),
        (EventFacts(2, 5, T0, EventKind.CSAT.value, "bob", score=3), None),
        (
            EventFacts(
                3, 5, T0, EventKind.ESCALATION_STATE.value, "bob", state=EscalationState.REJECTED
            ),
            Rule.DEPARTMENT_ANSWER,
        ),
        (EventFacts(4, 5, T0, EventKind.ROUTED.value, "bob"), Rule.RETURNING_ROUTED),
        (
            EventFacts(5, 5, T0, EventKind.COMPLAINT_WARNING.value, "bob", reasons=("x",)),
            Rule.COMPLAINT_WARNING,
        ),
    ],
)
def test_event_rules(facts: EventFacts, rule: Rule | None) -> None:
    found = evaluate_event(facts, POLICY)
    assert [f.rule for f in found] == ([] if rule is None else [rule])
    assert all(f.instance == f"event:{facts.id}" for f in found)


def test_settings_turn_rules_off_and_refuse_nonsense_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = automation_policy(AutomationSettings(off=["low_csat"]), Rules())
    assert not policy.on(Rule.LOW_CSAT) and policy.on(Rule.GREEN_WARNING)
    monkeypatch.setenv("CSTUI_AUTOMATIONS__OFF", '["no_such_rule"]')
    with pytest.raises(BadInput, match=r"^config: automations\.off: .*no_such_rule"):
        load_settings()
    monkeypatch.delenv("CSTUI_AUTOMATIONS__OFF")
    monkeypatch.setenv("CSTUI_AUTOMATIONS__GREEN_WARNING_MINUTES", "150")
    with pytest.raises(BadInput, match="green_warning_minutes must be less than"):
        load_settings()
    monkeypatch.setenv("CSTUI_AUTOMATIONS__GREEN_WARNING_MINUTES", "90")
    monkeypatch.setenv("CSTUI_AUTOMATIONS__RISK_SHARE", "1.5")
    with pytest.raises(BadInput, match=r"^config: automations\.risk_share: "):
        load_settings()


def test_a_complaint_warning_goes_to_the_supervisors_with_its_reasons() -> None:
    facts = EventFacts(7, 5, T0, EventKind.COMPLAINT_WARNING.value, "bob",
                       reasons=("3 contacts in 7 days", "1 overdue promise"))  # fmt: skip
    [firing] = evaluate_event(facts, POLICY)
    [action] = firing.actions
    assert isinstance(action, Notify) and action.recipients == (SUPERVISORS,)
    assert action.params["reasons"] == "3 contacts in 7 days; 1 overdue promise"
