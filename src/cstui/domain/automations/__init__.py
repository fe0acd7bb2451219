"""Rules that act on their own: deadlines passing and department answers arriving.

Each rule is a pure function from what is known of a ticket (its facts), the time and the
policy to zero or more `Firing`s. A firing is keyed (rule, ticket, instance): the instance
names the deadline it is about (the deadline's own timestamp, or the event that caused it),
so a deadline moved by a pause or a new reply is a new instance and fires anew, and the
same instance never fires twice (the store records each key once, see `store/automations`).

`model` holds the vocabulary (rules, actions, facts, policy), `rules` the evaluation.
"""

from __future__ import annotations

from cstui.domain.automations.assign import AgentLoad, choose_agent
from cstui.domain.automations.model import (
    ESCALATION_RULES,
    EVENT_RULES,
    GREEN_RULES,
    OPT_IN_RULES,
    SUPERVISORS,
    SYSTEM_ACTOR,
    TICKET_RULES,
    Action,
    AutoAssign,
    AutomationPolicy,
    EscalationFacts,
    EventFacts,
    Firing,
    GreenFacts,
    Notification,
    Notify,
    OpenEscalation,
    Rule,
    TicketFacts,
    Urgency,
)
from cstui.domain.automations.rules import (
    evaluate_escalation,
    evaluate_event,
    evaluate_green,
    evaluate_ticket,
    opened_between,
    thresholds,
)

__all__ = [
    "ESCALATION_RULES",
    "EVENT_RULES",
    "GREEN_RULES",
    "OPT_IN_RULES",
    "SUPERVISORS",
    "SYSTEM_ACTOR",
    "TICKET_RULES",
    "Action",
    "AgentLoad",
    "AutoAssign",
    "AutomationPolicy",
    "EscalationFacts",
    "EventFacts",
    "Firing",
    "GreenFacts",
    "Notification",
    "Notify",
    "OpenEscalation",
    "Rule",
    "TicketFacts",
    "Urgency",
    "choose_agent",
    "evaluate_escalation",
    "evaluate_event",
    "evaluate_green",
    "evaluate_ticket",
    "opened_between",
    "thresholds",
]
