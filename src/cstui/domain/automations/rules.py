"""The rules: pure functions from facts, the time and the policy to firings.

A rule fires only once its moment has come (`due_at <= now`), and names the deadline
instance it is about, so the store can record each (rule, ticket, instance) once. A rule
that is off in the policy returns nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from cstui.domain.automations.model import (
    SUPERVISORS,
    AutoAssign,
    AutomationPolicy,
    EscalationFacts,
    EventFacts,
    Firing,
    GreenFacts,
    Notify,
    OpenEscalation,
    Rule,
    TicketFacts,
    Urgency,
    instant,
)
from cstui.domain.calendar import require_aware
from cstui.domain.model import (
    OPEN_ESCALATION_STATES,
    Department,
    EscalationState,
    EventKind,
    Tier,
)
from cstui.domain.sla import targets

ANSWERS = frozenset({EscalationState.ACKNOWLEDGED, EscalationState.DONE, EscalationState.REJECTED})


def _owner_or_supervisors(owner: str | None) -> tuple[str, ...]:
    """An owner-less ticket's news goes to the supervisors: someone must hear of it."""
    return (owner,) if owner else (SUPERVISORS,)


def _owner_and_supervisors(owner: str | None) -> tuple[str, ...]:
    return (owner, SUPERVISORS) if owner else (SUPERVISORS,)


def _notify(
    rule: Rule,
    ticket_id: int,
    instance: str,
    due_at: datetime,
    recipients: tuple[str, ...],
    urgency: Urgency,
    **params: str,
) -> Firing:
    action = Notify(
        recipients, urgency, f"automation.{rule.value}", {"ticket": str(ticket_id)} | params
    )
    return Firing(rule, ticket_id, instance, due_at, (action,))


# -- tickets: response and resolution deadlines, follow-ups ----------------------------------


def evaluate_ticket(t: TicketFacts, now: datetime, policy: AutomationPolicy) -> list[Firing]:
    """Every firing due on an active ticket at `now` (its deadlines as they stand)."""
    require_aware(now, "now")
    found = _ticket_firings(t, now, policy) if t.active else _follow_up(t, now)
    return [f for f in found if policy.on(f.rule) and f.due_at <= now]


def _ticket_firings(t: TicketFacts, now: datetime, policy: AutomationPolicy) -> Iterator[Firing]:
    goal = targets(policy.sla, t.priority, t.tier)
    yield from _response(
        t,
        now,
        policy,
        t.first_response_due,
        goal.first_response,
        (Rule.FIRST_RESPONSE_RISK, Rule.FIRST_RESPONSE_BREACH),
    )
    yield from _response(
        t,
        now,
        policy,
        t.next_response_due,
        goal.next_response,
        (Rule.NEXT_RESPONSE_RISK, Rule.NEXT_RESPONSE_BREACH),
    )
    if t.tier is Tier.VIP and t.resolution_due is not None and now >= t.resolution_due:
        at = t.resolution_due
        yield _notify(
            Rule.VIP_RESOLUTION_BREACH,
            t.id,
            instant(at),
            at,
            (SUPERVISORS,),
            Urgency.URGENT,
            due=instant(at),
        )
    yield from _follow_up(t, now)
    yield from _unowned(t, policy)


def _unowned(t: TicketFacts, policy: AutomationPolicy) -> Iterator[Firing]:
    """An active ticket nobody took within its tier's wait is given out (keyed by when it
    began waiting: one assignment per ticket)."""
    if t.owner is None and t.created_at is not None:
        at = t.created_at + policy.unowned_wait(t.tier)
        yield Firing(Rule.AUTO_ASSIGN, t.id, instant(t.created_at), at, (AutoAssign(),))


def _follow_up(t: TicketFacts, now: datetime) -> Iterator[Firing]:
    """A follow-up (回访) is due after the ticket is resolved, so it fires on any ticket."""
    if t.follow_up_due is not None and now >= t.follow_up_due:
        at = t.follow_up_due
        yield _notify(
            Rule.FOLLOW_UP_DUE,
            t.id,
            instant(at),
            at,
            _owner_or_supervisors(t.owner),
            Urgency.INFO,
            due=instant(at),
        )


def risk_starts(due: datetime, target: timedelta, share: float) -> datetime:
    """When a response becomes at risk: the last (1 - share) of its target before the
    deadline (wall-clock, so a deadline just after opening time warns just before it)."""
    return due - target * (1 - share)


def _response(
    t: TicketFacts,
    now: datetime,
    policy: AutomationPolicy,
    due: datetime | None,
    target: timedelta,
    rules: tuple[Rule, Rule],
) -> Iterator[Firing]:
    if due is None:
        return
    risk_rule, breach_rule = rules
    if now >= due:
        recipients = _owner_and_supervisors(t.owner)
        yield _notify(
            breach_rule, t.id, instant(due), due, recipients, Urgency.URGENT, due=instant(due)
        )
        return
    # At risk only while the deadline is still ahead: once breached, the breach says it.
    starts = risk_starts(due, target, policy.risk_share)
    if now >= starts:
        yield _notify(
            risk_rule,
            t.id,
            instant(due),
            starts,
            _owner_or_supervisors(t.owner),
            Urgency.WARNING,
            due=instant(due),
        )


# -- escalations: the green channel, departments past due, complex cases ---------------------


def evaluate_escalation(
    e: EscalationFacts, now: datetime, policy: AutomationPolicy
) -> list[Firing]:
    """Every firing due on an open escalation at `now`."""
    require_aware(now, "now")
    if not e.ticket_active or e.state not in OPEN_ESCALATION_STATES:
        return []
    return [f for f in _escalation_firings(e, policy) if policy.on(f.rule) and f.due_at <= now]


def _escalation_firings(e: EscalationFacts, policy: AutomationPolicy) -> Iterator[Firing]:
    dept = e.department.value
    due = instant(e.due_at)
    yield _notify(
        Rule.ESCALATION_OVERDUE,
        e.ticket_id,
        f"{e.id}:{due}",
        e.due_at,
        _owner_or_supervisors(e.owner),
        Urgency.WARNING,
        department=dept,
        due=due,
    )
    if e.complex_case and not e.green and e.department is not Department.SUPERVISOR:
        at = policy.calendar.add_working_days(e.created_at, policy.complex_warning_days)
        yield _notify(
            Rule.COMPLEX_CASE,
            e.ticket_id,
            f"{e.id}:{instant(e.created_at)}",
            at,
            (SUPERVISORS,),
            Urgency.WARNING,
            department=dept,
        )


# -- the green channel: 90 minutes warn, 2 hours escalate -------------------------------------


def evaluate_green(g: GreenFacts, now: datetime, policy: AutomationPolicy) -> list[Firing]:
    """The green channel's firings due at `now`: both keyed by when the ticket went green."""
    require_aware(now, "now")
    if not g.active:
        return []
    instance = instant(g.since)
    warn = _notify(
        Rule.GREEN_WARNING,
        g.ticket_id,
        instance,
        g.since + policy.green_warning,
        _owner_and_supervisors(g.owner),
        Urgency.URGENT,
    )
    found = [warn, _green_escalation(g, g.since + policy.green_escalation, instance)]
    return [f for f in found if policy.on(f.rule) and f.due_at <= now]


def _green_escalation(g: GreenFacts, at: datetime, instance: str) -> Firing:
    """2 hours on the green channel unresolved: the supervisor is asked to call the
    department head (an escalation of its own, green), and every supervisor is told."""
    reason = "green channel: not solved within 2 hours; call the department head"
    notify = Notify(
        (SUPERVISORS,) + ((g.owner,) if g.owner else ()),
        Urgency.URGENT,
        f"automation.{Rule.GREEN_ESCALATION.value}",
        {"ticket": str(g.ticket_id)},
    )
    action = OpenEscalation(Department.SUPERVISOR, green=True, reason=reason)
    return Firing(Rule.GREEN_ESCALATION, g.ticket_id, instance, at, (action, notify))


# -- events: CSAT, department answers, complaint warnings, returning customers --------------


def evaluate_event(ev: EventFacts, policy: AutomationPolicy) -> list[Firing]:
    """The firings one logged event causes (each keyed by the event's id)."""
    instance = f"event:{ev.id}"
    found: list[Firing] = []
    if ev.kind == EventKind.CSAT and ev.score is not None and 1 <= ev.score <= policy.low_csat:
        found.append(
            _notify(
                Rule.LOW_CSAT,
                ev.ticket_id,
                instance,
                ev.at,
                _owner_and_supervisors(ev.owner),
                Urgency.WARNING,
                score=str(ev.score),
            )
        )
    elif ev.kind == EventKind.ESCALATION_STATE and ev.state in ANSWERS:
        found.append(
            _notify(
                Rule.DEPARTMENT_ANSWER,
                ev.ticket_id,
                instance,
                ev.at,
                _owner_or_supervisors(ev.owner),
                Urgency.INFO,
                state=str(ev.state),
                department=ev.department or "",
            )
        )
    elif ev.kind == EventKind.COMPLAINT_WARNING:
        found.append(
            _notify(
                Rule.COMPLAINT_WARNING,
                ev.ticket_id,
                instance,
                ev.at,
                (SUPERVISORS,),
                Urgency.WARNING,
                reasons="; ".join(ev.reasons),
            )
        )
    elif ev.kind == EventKind.TRANSFER_DENIED and ev.owner:
        found.append(
            _notify(
                Rule.TRANSFER_DENIED,
                ev.ticket_id,
                instance,
                ev.at,
                (ev.owner,),
                Urgency.URGENT,  # the agent is waiting on it: said at once
                note=ev.note or "—",
            )
        )
    elif ev.kind == EventKind.ROUTED and ev.owner:
        found.append(
            _notify(Rule.RETURNING_ROUTED, ev.ticket_id, instance, ev.at, (ev.owner,), Urgency.INFO)
        )
    return [f for f in found if policy.on(f.rule)]


# -- what `cstui automations list` shows -----------------------------------------------------


def thresholds(policy: AutomationPolicy) -> list[tuple[Rule, bool, str]]:
    """Each rule, whether it is on, and its threshold in words."""
    share = f"{policy.risk_share:.0%} of the target used"
    words = {
        Rule.GREEN_WARNING: f"{_minutes(policy.green_warning)} on the green channel",
        Rule.GREEN_ESCALATION: f"{_minutes(policy.green_escalation)} on the green channel",
        Rule.FIRST_RESPONSE_RISK: share,
        Rule.FIRST_RESPONSE_BREACH: "first response past due",
        Rule.NEXT_RESPONSE_RISK: share,
        Rule.NEXT_RESPONSE_BREACH: "next response past due",
        Rule.VIP_RESOLUTION_BREACH: "a VIP's resolution past due",
        Rule.ESCALATION_OVERDUE: "a department past its due time",
        Rule.COMPLEX_CASE: f"{policy.complex_warning_days} working days into a complex case",
        Rule.FOLLOW_UP_DUE: "a follow-up due",
        Rule.LOW_CSAT: f"a CSAT of {policy.low_csat} or lower",
        Rule.DEPARTMENT_ANSWER: "a department acknowledged, finished or rejected",
        Rule.RETURNING_ROUTED: "a returning customer routed to their owner",
        Rule.COMPLAINT_WARNING: "a new contact from a customer likely to complain",
        Rule.AUTO_ASSIGN: _waits(policy),
        Rule.TRANSFER_DENIED: "a transfer denied: its reason to the owner",
    }
    return [(rule, policy.on(rule), words[rule]) for rule in Rule]


def _waits(policy: AutomationPolicy) -> str:
    tiers = [f"{tier.value} {_minutes(w)}" for tier, w in sorted(policy.auto_assign_after.items())]
    waits = ", ".join([*tiers, f"others {_minutes(policy.auto_assign_default)}"])
    return f"unowned past its tier's wait ({waits}): the least-loaded agent on shift"


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} min"


def opened_between(
    after: datetime, until: datetime, policy: AutomationPolicy
) -> tuple[datetime, datetime]:
    """The creation times of escalations whose complex-case warning falls in (after, until]:
    the warning time only moves forward with the creation time, so each end is found by
    bisection (to the second) over the calendar. A sweep reads open escalations created in
    that window, not every one of the last weeks."""
    days = policy.complex_warning_days
    reach = timedelta(days=7 * days + 30)  # the longest holiday run cannot stretch further

    def warns(created: datetime) -> datetime:
        return policy.calendar.add_working_days(created, days)

    def first(target: datetime, *, strictly: bool) -> datetime:
        lo, hi = target - reach, target  # warns(lo) is before target, warns(hi) is after
        while hi - lo > timedelta(seconds=1):
            mid = lo + (hi - lo) / 2
            at = warns(mid)
            if at > target or (not strictly and at == target):
                hi = mid
            else:
                lo = mid
        return hi

    return first(after, strictly=True) - timedelta(seconds=1), first(until, strictly=True)
