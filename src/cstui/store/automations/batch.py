"""A batch of firings carried out in a few statements, exactly once, in one transaction.

Firing one at a time costs about ten round trips each (lock, re-check, key, notifications,
event, savepoint); on a networked database that is what a backlog's time goes to. Here a
batch's tickets are locked in one statement (in id order, so two sweepers queue on the
same ticket first instead of deadlocking), the rules are evaluated again on the facts read
for the whole batch, the keys are inserted in one INSERT … ON CONFLICT DO NOTHING
RETURNING, and only the keys it returned go on to their notifications and events, each
kind in one multi-row insert. The key and its effects commit together or not at all.

Firings that change a ticket (an escalation opened, an owner given) keep the one-at-a-time
path (`fire.fire`): they are few, and each has its own checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from cstui.domain import events
from cstui.domain.automations import (
    ESCALATION_RULES,
    EVENT_RULES,
    GREEN_RULES,
    SUPERVISORS,
    SYSTEM_ACTOR,
    AutomationPolicy,
    Firing,
    Notify,
    evaluate_escalation,
    evaluate_green,
    evaluate_ticket,
)
from cstui.store.automations.due import escalation_facts, green_facts, ticket_facts
from cstui.store.automations.fire import (
    claim_params,
    claim_statement,
    notification_rows,
    recipient_ids,
)
from cstui.store.schema import AGENTS, NOTIFICATIONS, TICKETS
from cstui.store.tx import Tx

Key = tuple[str, int, str]


def notifies_only(firing: Firing) -> bool:
    """Whether the firing only notifies (the batched path); others change the ticket."""
    return all(isinstance(a, Notify) for a in firing.actions)


def lock_tickets(tx: Tx, ticket_ids: Iterable[int]) -> set[int]:
    """Lock the tickets in id order in one statement; the ids that exist."""
    wanted = sorted(set(ticket_ids))
    if not wanted:
        return set()
    q = (
        select(TICKETS.c.id)
        .where(TICKETS.c.id.in_(wanted))
        .order_by(TICKETS.c.id)
        .with_for_update()
    )
    return {int(i) for i in tx.conn.execute(q).scalars()}


def fire_notifying(
    tx: Tx,
    firings: list[Firing],
    policy: AutomationPolicy,
    now: datetime,
    agents: dict[str, dict[str, int]],
) -> int:
    """Fire `firings` (each only notifies; their tickets locked by the caller) as one batch;
    how many acted."""
    due = due_keys(tx, firings, policy, now)
    claimed = claim(tx, [f for f in firings if f.key in due], now)
    acted = [f for f in firings if f.key in claimed]
    if not acted:
        return 0
    _prefetch(tx, acted, agents)
    rows: list[dict[str, Any]] = []
    logged: list[tuple[events.Payload, int]] = []
    for firing in acted:
        notified: list[str] = []
        for action in firing.actions:
            assert isinstance(action, Notify)
            ids = recipient_ids(tx, action, agents)
            rows.extend(notification_rows(firing, action, ids, now))
            notified.extend(n for n in ids if n not in notified)
        payload = events.Automation(
            rule=firing.rule.value,
            instance=firing.instance,
            due_at=firing.due_at,
            notified=tuple(notified),
            escalation_id=None,
        )
        logged.append((payload, firing.ticket_id))
    if rows:
        tx.conn.execute(insert(NOTIFICATIONS), rows)
    tx.payload_events(logged, actor=SYSTEM_ACTOR, at=now)
    return len(acted)


def due_keys(tx: Tx, firings: list[Firing], policy: AutomationPolicy, now: datetime) -> set[Key]:
    """The keys of `firings` the rules, on the facts as they are in `tx`, still fire
    (`fire.still_due` for a whole batch: one read per kind of fact)."""
    keys: set[Key] = {f.key for f in firings if f.rule in EVENT_RULES and policy.on(f.rule)}
    greens = [f.ticket_id for f in firings if f.rule in GREEN_RULES]
    escalations = [int(f.instance.split(":", 1)[0]) for f in firings if f.rule in ESCALATION_RULES]
    timed = {*EVENT_RULES, *GREEN_RULES, *ESCALATION_RULES}
    tickets = [f.ticket_id for f in firings if f.rule not in timed]
    for g in green_facts(tx, greens):
        keys.update(f.key for f in evaluate_green(g, now, policy))
    for e in escalation_facts(tx, escalations):
        keys.update(f.key for f in evaluate_escalation(e, now, policy))
    for t in ticket_facts(tx, tickets):
        keys.update(f.key for f in evaluate_ticket(t, now, policy))
    return keys


def claim(tx: Tx, firings: list[Firing], now: datetime) -> set[Key]:
    """INSERT every key ON CONFLICT DO NOTHING; the keys this transaction inserted."""
    if not firings:
        return set()
    params = [claim_params(f, now) for f in firings]
    # one statement, many rows: SQLAlchemy sends it as multi-row VALUES ("insertmanyvalues")
    statement = claim_statement(tx.dialect, ("rule", "ticket_id", "instance"))
    result = tx.conn.execute(statement, params)
    return {(str(r[0]), int(r[1]), str(r[2])) for r in result}


def _prefetch(tx: Tx, firings: list[Firing], agents: dict[str, dict[str, int]]) -> None:
    """Look up every plain recipient of the batch in one query (owners vary by ticket)."""
    names = {
        n
        for f in firings
        for a in f.actions
        if isinstance(a, Notify)
        for n in a.recipients
        if n != SUPERVISORS and n not in agents
    }
    if not names:
        return
    q = select(AGENTS.c.name, AGENTS.c.id).where(AGENTS.c.name.in_(sorted(names)))
    found = {str(name): int(i) for name, i in tx.conn.execute(q)}
    for name in names:
        agents[name] = {name: found[name]} if name in found else {}
