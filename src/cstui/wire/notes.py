"""An agent's notifications: what the automations told them, and whether they read it."""

from __future__ import annotations

from pydantic import Field

from cstui.domain.automations import Notification, Urgency
from cstui.wire.base import Json, Public, Stamp, Wire, iso


class NotificationPublic(Public[Notification]):
    """One entry of the agent's feed; `text_key` names the message, `params` fill it in."""

    id: int
    ticket_id: int | None
    rule: str
    urgency: Urgency
    text_key: str
    params: dict[str, str]
    created_at: Stamp
    read_at: Stamp | None = None

    @classmethod
    def encode(cls, n: Notification) -> Json:
        return {
            "id": n.id,
            "ticket_id": n.ticket_id,
            "rule": n.rule,
            "urgency": n.urgency.value,
            "text_key": n.text_key,
            "params": dict(n.params),
            "created_at": n.created_at.isoformat(),
            "read_at": iso(n.read_at),
        }

    def to_domain(self) -> Notification:
        return Notification(
            id=self.id,
            ticket_id=self.ticket_id,
            rule=self.rule,
            urgency=self.urgency,
            text_key=self.text_key,
            params=dict(self.params),
            created_at=self.created_at,
            read_at=self.read_at,
        )


class FiredPublic(Wire):
    """How many times each automation rule fired since a time."""

    since: Stamp
    rules: dict[str, int] = Field(description="rule name → firings since `since`")


class MarkedPublic(Wire):
    marked: int = Field(description="how many of the ids were unread and are read now")
