"""The event log (a page of it, or one event of the live feed) and the quality figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field

from cstui.domain import metrics as m
from cstui.domain.model import Event, EventKind
from cstui.wire.base import Json, Public, Stamp, Wire


class EventPublic(Public[Event]):
    """One entry of the append-only log; `old` and `new` are the kind's own payload."""

    id: int
    ticket_id: int | None
    actor: str | None
    at: Stamp
    kind: EventKind
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @classmethod
    def encode(cls, e: Event) -> Json:
        return {
            "id": e.id,
            "ticket_id": e.ticket_id,
            "actor": e.actor,
            "at": e.at.isoformat(),
            "kind": e.kind.value,
            "old": e.old,
            "new": e.new,
        }

    def to_domain(self) -> Event:
        return Event(
            id=self.id,
            ticket_id=self.ticket_id,
            actor=self.actor,
            at=self.at,
            kind=self.kind,
            old=self.old,
            new=self.new,
        )


class EventsPublic(Wire):
    items: list[EventPublic]
    last_id: int = Field(description="where the next page starts (`after`)")


class MetricsPublic(Public[m.Metrics]):
    """The quality figures of a window: shares (0 to 1) are null when nothing was counted,
    durations are in seconds."""

    tickets_created: int
    tickets_resolved: int
    csat: float | None
    very_satisfied: float | None
    csat_responses: int
    complaint_rate: float | None
    second_complaint_rate: float | None
    repeat_dispatch_rate: float | None
    first_contact_resolution: float | None
    basic_first_contact_resolution: float | None
    avg_first_response: float | None
    avg_resolution_time: float | None

    @classmethod
    def encode(cls, metrics: m.Metrics) -> Json:
        return m.as_dict(metrics)

    def to_domain(self) -> m.Metrics:
        """The figures as sent: shares rounded to 4 places, durations to the second's part."""
        figures = self.model_dump()
        for name in ("avg_first_response", "avg_resolution_time"):
            seconds = figures[name]
            figures[name] = None if seconds is None else timedelta(seconds=seconds)
        return m.Metrics(**figures)


class MetricsReportPublic(Wire):
    team: MetricsPublic
    agents: dict[str, MetricsPublic] | None = None  # with `by_agent` only
