"""Who gets an unowned ticket (`auto_assign`): pure, from facts the store passes in.

Eligible: an agent (not a supervisor) on shift now in the team's time zone, whose routing a
supervisor has not paused. Of those, the fewest open tickets wins; a tie goes to whoever was
auto-assigned least long ago (never first), then by name, so equal loads take turns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from cstui.domain.calendar import require_aware
from cstui.domain.model import Role, Shift
from cstui.domain.supervision import on_shift


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """One agent as the choice reads them."""

    name: str
    role: Role
    shift: Shift | None
    paused: bool
    open_tickets: int
    last_assigned: datetime | None = None  # their last auto-assignment, if any


def eligible(agent: AgentLoad, now: datetime, tz: tzinfo) -> bool:
    return agent.role is Role.AGENT and not agent.paused and on_shift(agent.shift, now, tz)


def choose_agent(agents: Iterable[AgentLoad], now: datetime, tz: tzinfo) -> str | None:
    """The agent to give the ticket to, or None when nobody eligible is on shift."""
    require_aware(now, "now")
    pool = [a for a in agents if eligible(a, now, tz)]
    if not pool:
        return None

    def order(a: AgentLoad) -> tuple[int, bool, datetime, str]:
        # the never assigned first; `now` only fills their place, it is never compared
        return (a.open_tickets, a.last_assigned is not None, a.last_assigned or now, a.name)

    return min(pool, key=order).name
