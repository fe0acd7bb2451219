"""The payloads of the team's events: an agent added, routing paused or resumed."""

from __future__ import annotations

from cstui.domain.events.base import Payload, payload_class
from cstui.domain.model import EventKind, Role


@payload_class
class AgentAdded(Payload):
    KIND = EventKind.AGENT_ADDED
    agent: str
    role: Role


@payload_class
class RoutingPaused(Payload):
    KIND = EventKind.ROUTING_PAUSED
    agent: str
    paused: bool
    old_paused: bool
