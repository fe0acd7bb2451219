"""How often triage's category is the one agents file tickets under, read from the log.

Each ticket's creation records what triage read (`triaged`) beside the category it was
filed under; an agent's correction is a `category` event. Over the tickets an agent
corrected, triage was right when the correction chose triage's category; over every
triaged ticket, when the category it ends under is triage's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cstui.domain.model import Event, EventKind


@dataclass(frozen=True, slots=True)
class TriageAccuracy:
    triaged: int  # tickets whose creation logged triage
    agreed: int  # of those, filed in the end under triage's category
    corrected: int  # of those, re-filed by an agent
    corrected_to_triage: int  # of the corrected, re-filed under triage's category

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "triaged": self.triaged,
            "agreed": self.agreed,
            "accuracy": self.agreed / self.triaged if self.triaged else None,
            "corrected": self.corrected,
            "corrected_to_triage": self.corrected_to_triage,
            "accuracy_on_corrected": (
                self.corrected_to_triage / self.corrected if self.corrected else None
            ),
        }


def triage_accuracy(events: Iterable[Event]) -> TriageAccuracy:
    """Triage against what agents filed, from the events in log order."""
    triaged: dict[int, str] = {}
    filed: dict[int, str] = {}
    corrected: set[int] = set()
    for e in events:
        if e.ticket_id is None or e.new is None:
            continue
        if e.kind is EventKind.CREATED and "triaged" in e.new:
            triaged[e.ticket_id] = e.new["triaged"]
            filed[e.ticket_id] = e.new["category"]
        elif e.kind is EventKind.CATEGORY and e.ticket_id in triaged:
            filed[e.ticket_id] = e.new["category"]
            corrected.add(e.ticket_id)
    agreed = sum(filed[t] == c for t, c in triaged.items())
    to_triage = sum(filed[t] == triaged[t] for t in corrected)
    return TriageAccuracy(len(triaged), agreed, len(corrected), to_triage)
