"""The payload of an automation's firing: which rule acted, on which deadline, what it did."""

from __future__ import annotations

# Read at run time (`typing.get_type_hints`), so imported here, not under TYPE_CHECKING.
from datetime import datetime

from cstui.domain.events.base import Payload, omitted, payload_class
from cstui.domain.model import EventKind


@payload_class
class Automation(Payload):
    """Logged by the system (actor "system") in the transaction that carried the rule out."""

    KIND = EventKind.AUTOMATION
    rule: str
    instance: str
    due_at: datetime
    notified: tuple[str, ...]  # the agents told
    escalation_id: int | None = omitted()  # the escalation it opened, if any
