"""Agents: adding them, their API tokens, and a supervisor pausing an agent's routing."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from cstui.assist.answer import ASSISTANT
from cstui.domain import rights
from cstui.domain.model import Agent, EventKind, Role, Shift
from cstui.errors import BadInput, Conflict
from cstui.store import rows as R
from cstui.store.schema import AGENTS
from cstui.store.tx import Tx


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_agent(
    tx: Tx, *, name: str, role: Role, shift: Shift | None, display_name: str | None
) -> Agent:
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise BadInput("name: an agent name is 1–64 characters without spaces")
    if name == ASSISTANT:  # the automatic answers' author: the thread marks them by it
        raise BadInput(f"name: {ASSISTANT} is the name automatic answers are signed with")
    now = tx.clock()
    if tx.conn.execute(select(AGENTS.c.id).where(AGENTS.c.name == name)).first():
        raise Conflict(f"agent {name} exists already")
    new_id = tx.insert(
        AGENTS,
        {
            "name": name,
            "role": role.value,
            "shift": shift.value if shift else None,
            "display_name": display_name,
            "routing_paused": 0,
            "created_at": now,
        },
    )
    tx.event(
        EventKind.AGENT_ADDED,
        ticket_id=None,
        actor=None,
        at=now,
        new={"agent": name, "role": role.value},
    )
    return Agent(id=new_id, name=name, role=role, shift=shift, display_name=display_name)


def get_agent(tx: Tx, *, name: str) -> Agent:
    return R.agent_from_mapping(tx.agent(name))


def list_agents(tx: Tx) -> list[Agent]:
    result = tx.conn.execute(select(AGENTS).order_by(AGENTS.c.id)).mappings()
    return [R.agent_from_mapping(m) for m in result]


def issue_token(tx: Tx, *, name: str) -> str:
    """A new API token for the agent; only its hash is kept, so it is shown once."""
    token = secrets.token_urlsafe(32)
    row = tx.agent(name)
    tx.conn.execute(
        update(AGENTS).where(AGENTS.c.id == row["id"]).values(token_hash=hash_token(token))
    )
    return token


def agent_for_token(tx: Tx, *, token: str) -> Agent | None:
    q = select(AGENTS).where(AGENTS.c.token_hash == hash_token(token))
    m = tx.conn.execute(q).mappings().first()
    return R.agent_from_mapping(m) if m else None


def set_routing_paused(tx: Tx, *, name: str, actor: str, paused: bool) -> Agent:
    """A supervisor pauses (or resumes) an agent: returning customers stop being routed to
    them and wait in the unassigned queue instead. Audited as an event."""
    rights.check(rights.PAUSE_ROUTING, actor=actor, role=tx.role(actor))
    agent = tx.agent(name)
    tx.conn.execute(
        update(AGENTS).where(AGENTS.c.id == agent["id"]).values(routing_paused=int(paused))
    )
    tx.event(
        EventKind.ROUTING_PAUSED,
        ticket_id=None,
        actor=actor,
        at=tx.clock(),
        old={"paused": bool(agent["routing_paused"])},
        new={"agent": name, "paused": paused},
    )
    return get_agent(tx, name=name)
