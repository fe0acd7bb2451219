"""The `[assist]` settings: which common questions are answered on their own, how sure the
answer must be, and whether it is sent or prepared for the owner to review. Off by default.

    [assist]
    enabled = true
    categories = ["logistics", "invoice"]  # default: every category that may be
    min_confidence = 0.75                  # the category's share of the two best (0..1)
    min_score = 8.0                        # the best answer's score
    mode = "draft"                         # "send" (default) or "draft": a note to review

Validated here (pydantic), so a wrong value is one line naming the setting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, field_validator

if TYPE_CHECKING:
    from cstui.domain.rules import AssistPolicy


def _answerable() -> list[str]:
    from cstui.domain.rules import ANSWERABLE

    return sorted(c.value for c in ANSWERABLE)


class AssistSettings(BaseModel):
    enabled: bool = False  # it answers customers without a person: on only when said so
    categories: list[str] = Field(default_factory=_answerable)
    min_confidence: float = Field(0.75, gt=0, le=1)
    min_score: float = Field(8.0, gt=0)
    mode: Literal["send", "draft"] = "send"

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, names: list[str]) -> list[str]:
        from cstui.domain.model import Category

        known = {c.value for c in Category}
        for name in names:
            if name not in known:
                raise ValueError(f"no category {name!r} (categories: {', '.join(sorted(known))})")
            if name == Category.COMPLAINT.value:
                raise ValueError("complaint: a complaint is never answered automatically")
        return names


def assist_policy(settings: AssistSettings) -> AssistPolicy:
    """The domain's policy from `[assist]`: no category at all while it is off."""
    from cstui.domain.model import Category
    from cstui.domain.rules import AssistPolicy

    categories = frozenset(Category(c) for c in settings.categories) if settings.enabled else None
    return AssistPolicy(
        categories=categories or frozenset(),
        min_score=settings.min_score,
        min_confidence=settings.min_confidence,
        review=settings.mode == "draft",
    )
