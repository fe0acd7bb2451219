"""Reads for the supervisor's monitor (the "floor").

Every read is an aggregate or a short, limited list: the monitor refreshes every few seconds
and must cost the same on a million tickets as on a hundred. Counts per view reuse the
views' own partial indexes (`count_tickets`); per channel and tier is one GROUP BY each.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, text

from cstui.domain import supervision
from cstui.domain.model import Department, EscalationState, Role, Shift
from cstui.store import rows as R
from cstui.store.base import (
    DEPTH_VIEWS,
    AgentLoad,
    GreenTicket,
    QueueDepth,
    WaitingEscalation,
)
from cstui.store.queue import count_tickets
from cstui.store.schema import EVENTS
from cstui.store.tx import Tx

_OPEN = "('requested', 'acknowledged')"


def queue_depth(tx: Tx) -> QueueDepth:
    views = {v.value: count_tickets(tx, view=v, actor=None) for v in DEPTH_VIEWS}
    channels = _grouped(tx, "channel")
    tiers = _grouped(tx, "tier")
    return QueueDepth(views=views, channels=channels, tiers=tiers, breached=breached_count(tx))


def breached_count(tx: Tx) -> int:
    """Open tickets past their nearest SLA deadline (the sla-risk view's index, up to now)."""
    breached = tx.conn.execute(
        text("SELECT COUNT(*) FROM tickets WHERE active = 1 AND due_key < :now").bindparams(
            bindparam("now", type_=_at_type())
        ),
        {"now": tx.clock()},
    ).scalar_one()
    return int(breached)


def _at_type() -> Any:
    return EVENTS.c.at.type


def _grouped(tx: Tx, column: str) -> dict[str, int]:
    sql = f"SELECT {column}, COUNT(*) FROM tickets WHERE active = 1 GROUP BY {column}"
    return {str(key): int(n) for key, n in tx.conn.execute(text(sql))}


_GREEN = text(
    "SELECT t.id, t.subject, a.name, t.created_at, "
    "(SELECT MAX(e.at) FROM events e WHERE e.ticket_id = t.id AND e.kind = 'green_channel'), "
    "(SELECT MIN(x.created_at) FROM escalations x WHERE x.ticket_id = t.id AND x.green = 1), "
    f"(SELECT MIN(x.due_at) FROM escalations x WHERE x.ticket_id = t.id AND x.green = 1 "
    f"AND x.state IN {_OPEN}) "
    "FROM tickets t LEFT JOIN agents a ON a.id = t.owner_id "
    "WHERE t.active = 1 AND t.green_rank = 0 ORDER BY t.due_key, t.id LIMIT :n"
)


def green_board(tx: Tx, *, limit: int) -> list[GreenTicket]:
    """Open green tickets with their 2-hour countdown, the soonest due first."""
    window = tx.rules.escalation.green_window
    rows = tx.conn.execute(_GREEN, {"n": limit}).all()
    board = [_green(r, window) for r in rows]
    return sorted(board, key=lambda g: (g.due_at, g.ticket_id))


def _green(r: Any, window: Any) -> GreenTicket:
    created, marked, escalated, esc_due = (R.dt(v) for v in r[3:7])
    assert created is not None  # created_at is NOT NULL
    since = supervision.green_since(created, (marked, escalated))
    return GreenTicket(
        ticket_id=r[0],
        subject=r[1],
        owner=r[2],
        since=since,
        due_at=supervision.green_due(since, esc_due, window),
    )


_WAITING = text(
    "SELECT x.id, x.ticket_id, t.subject, a.name, x.department, x.reason, x.state, x.green, "
    "x.created_at, x.due_at FROM escalations x JOIN tickets t ON t.id = x.ticket_id "
    f"LEFT JOIN agents a ON a.id = t.owner_id WHERE x.state IN {_OPEN} "
    "ORDER BY x.created_at, x.id LIMIT :n"
)


def waiting_escalations(tx: Tx, *, limit: int) -> list[WaitingEscalation]:
    """Escalations still with a department, oldest first (the sync meeting's list)."""
    rows = tx.conn.execute(_WAITING, {"n": limit}).all()
    return [
        WaitingEscalation(
            id=r[0],
            ticket_id=r[1],
            subject=r[2],
            owner=r[3],
            department=Department(r[4]),
            reason=r[5],
            state=EscalationState(r[6]),
            green=bool(r[7]),
            created_at=R.dt_set(r[8]),
            due_at=R.dt_set(r[9]),
        )
        for r in rows
    ]


_LOADS = text(
    "SELECT owner_id, COUNT(*) FROM tickets WHERE active = 1 AND owner_id IS NOT NULL "
    "GROUP BY owner_id"
)
_AGENTS = text(
    "SELECT a.id, a.name, a.role, a.shift, a.routing_paused, p.seen_at, p.ticket_id "
    "FROM agents a LEFT JOIN presence p ON p.agent_id = a.id ORDER BY a.name"
)


def agent_loads(tx: Tx) -> list[AgentLoad]:
    """Every agent with their open tickets (one GROUP BY) and their console's heartbeat."""
    load = {int(owner): int(n) for owner, n in tx.conn.execute(_LOADS)}
    agents = tx.conn.execute(_AGENTS).all()
    return [
        AgentLoad(
            name=r[1],
            role=Role(r[2]),
            shift=Shift(r[3]) if r[3] else None,
            routing_paused=bool(r[4]),
            open_tickets=load.get(r[0], 0),
            seen_at=R.dt(r[5]),
            viewing=r[6],
        )
        for r in agents
    ]
