"""The transfer picker's list: who could take the ticket, the likeliest first.

Each colleague with their presence (working, online, away, off shift, paused), their shift
and how many open tickets they hold, ordered by `supervision.handoff_key`: someone at their
console with the lightest load first, someone off shift or paused last.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from cstui.domain.supervision import agent_state, handoff_key
from cstui.i18n import label, t
from cstui.store.base import AgentLoad


def candidates(
    loads: Iterable[AgentLoad], *, actor: str, now: datetime, tz: tzinfo | None
) -> list[tuple[str, str]]:
    """(name, what the picker shows) for every other agent, best candidates first."""
    ranked = []
    for a in loads:
        if a.name == actor:
            continue
        state = agent_state(
            shift=a.shift,
            paused=a.routing_paused,
            seen_at=a.seen_at,
            viewing=a.viewing,
            now=now,
            tz=tz or UTC,
        )
        shift = label(a.shift) if a.shift else "—"
        text = t(
            "transfer.candidate",
            name=a.name,
            state=t(f"monitor.state.{state.value}"),
            shift=shift,
            n=a.open_tickets,
        )
        ranked.append((handoff_key(state, a.open_tickets, a.name), a.name, text))
    ranked.sort()
    return [(name, text) for _, name, text in ranked]
