"""The store's side of `auto_assign`: the agents' loads for the pure choice, and giving the
ticket through the same path as a take (as the system), remembering whose turn it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, text

from cstui.domain.automations import SYSTEM_ACTOR, AgentLoad, choose_agent
from cstui.domain.model import Role, Shift
from cstui.store import tickets
from cstui.store.dialect import insert_for
from cstui.store.schema import AGENTS, AUTOMATION_STATE
from cstui.store.tx import Tx

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TURN = "assigned:"  # automation_state key prefix: an agent's last auto-assignment (µs)
# Repeats `ix_q_owner`'s predicate literally, so SQLite counts from that index.
_LOADS = text(
    "SELECT owner_id, COUNT(*) FROM tickets WHERE active = 1 AND owner_id IS NOT NULL "
    "AND owner_id IN :ids GROUP BY owner_id"
).bindparams(bindparam("ids", expanding=True))
_TURNS = text("SELECT key, position FROM automation_state WHERE key IN :keys").bindparams(
    bindparam("keys", expanding=True)
)


def agent_loads(tx: Tx) -> tuple[list[AgentLoad], dict[str, int]]:
    """Every unpaused agent with a shift, their open tickets and last auto-assignment; and
    their ids by name."""
    q = select(AGENTS.c.id, AGENTS.c.name, AGENTS.c.shift).where(
        AGENTS.c.role == Role.AGENT.value,
        AGENTS.c.routing_paused == 0,
        AGENTS.c.shift.is_not(None),
    )
    rows = tx.conn.execute(q.order_by(AGENTS.c.id)).all()
    if not rows:
        return [], {}
    ids = [r[0] for r in rows]
    loads: dict[int, int] = {int(i): int(n) for i, n in tx.conn.execute(_LOADS, {"ids": ids})}
    keys = [f"{_TURN}{i}" for i in ids]
    turns = {k: int(p) for k, p in tx.conn.execute(_TURNS, {"keys": keys}).all()}
    out = []
    for agent_id, name, shift in rows:
        turn = turns.get(f"{_TURN}{agent_id}")
        out.append(
            AgentLoad(
                name=name,
                role=Role.AGENT,
                shift=Shift(shift),
                paused=False,
                open_tickets=int(loads.get(agent_id, 0)),
                last_assigned=None if turn is None else _at(turn),
            )
        )
    return out, {name: agent_id for agent_id, name, _ in rows}


def pick(tx: Tx, now: datetime) -> tuple[str, int] | None:
    """The agent to give a ticket to now (name, id), or None when nobody eligible is on."""
    loads, ids = agent_loads(tx)
    name = choose_agent(loads, now, tx.rules.calendar.tz)
    return None if name is None else (name, ids[name])


def give(tx: Tx, ticket_id: int, agent: tuple[str, int], now: datetime) -> None:
    """Assign through the take path (as the system) and note the agent's turn."""
    name, agent_id = agent
    tickets.assign_owner(tx, ticket_id=ticket_id, owner=name, actor=SYSTEM_ACTOR)
    make: Any = insert_for(tx.dialect)
    stmt = make(AUTOMATION_STATE).values(
        key=f"{_TURN}{agent_id}", position=_micros(now), updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"], set_={"position": stmt.excluded.position, "updated_at": now}
    )
    tx.conn.execute(stmt)


def _micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def _at(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)
