"""Answering common questions on their own: when an automatic answer may go out.

Off by default, switched on per category in the config (`[assist]`). An answer goes out
only when the best article clearly beats the rest and the message is plainly about one
category, and never to a VIP, about a complaint, on a green-channel ticket, or when the
message sounds angry: a wrong automatic answer is worse than none. In review mode the
answer is prepared as a draft for the owner instead of being sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cstui.assist.triage import Triage
from cstui.domain.model import Category
from cstui.domain.rules import ANSWERABLE, AssistPolicy

NEVER = frozenset({Category.COMPLAINT})
__all__ = ["ANSWERABLE", "NEVER", "AssistPolicy", "Decision", "auto_decision"]


@dataclass(frozen=True, slots=True)
class Decision:
    send: bool  # answer automatically (or prepare the draft, in review mode)
    reasons: tuple[str, ...] = field(default=())


def auto_decision(
    policy: AssistPolicy,
    triage: Triage,
    scores: Sequence[float],
    *,
    best_category: Category | None = None,
    vip: bool = False,
    green: bool = False,
) -> Decision:
    """Whether the best suggestion for a message may be sent without an agent, and why not."""
    why_not = []
    if triage.category not in policy.categories or triage.category in NEVER:
        why_not.append(f"{triage.category.value}: not answered automatically")
    if vip:
        why_not.append("a VIP: always a person")
    if green or triage.green:
        why_not.append("green channel")
    if triage.risk != "low" or triage.sentiment == "negative":
        why_not.append(f"complaint risk {triage.risk}")
    if triage.confidence < policy.min_confidence:
        why_not.append(f"category unsure ({triage.confidence:.2f})")
    if scores and best_category is not triage.category:
        why_not.append("the best answer is about another matter")
    best = scores[0] if scores else 0.0
    second = scores[1] if len(scores) > 1 else 0.0
    if best < policy.min_score:
        why_not.append(f"best answer weak ({best:.1f})")
    elif second and best < policy.min_margin * second:
        why_not.append(f"two answers close ({best:.1f} / {second:.1f})")
    return Decision(send=not why_not, reasons=tuple(why_not))
