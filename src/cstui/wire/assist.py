"""Suggested answers: a message's triage and its likeliest articles and templates."""

from __future__ import annotations

from pydantic import Field

from cstui.assist.ranking import Suggested, Suggestions
from cstui.assist.triage import Triage
from cstui.domain.model import ArticleKind, ArticleLang, Category, Priority
from cstui.wire.base import Json, Public, Wire


class TriagePublic(Wire):
    """What triage found in the message, each finding with its reason in `reasons`."""

    category: Category
    confidence: float = Field(description="0..1: the category's share of the two best scores")
    priority: Priority = Field(description="the suggested priority")
    green: bool = Field(description="a green-channel candidate (fresh food, medical device)")
    risk: str = Field(description="complaint risk: low | medium | high")
    sentiment: str = Field(description="negative | neutral | positive")
    lang: str = Field(description="zh | en | mixed")
    orders: list[str] = Field(description="order numbers quoted in the text")
    tracking: list[str] = Field(description="tracking numbers quoted in the text")
    runner_up: Category | None = Field(description="the second likeliest category")
    reasons: dict[str, str] = Field(description="category, priority, risk, green: why")

    def to_domain(self) -> Triage:
        return Triage(
            category=self.category,
            confidence=self.confidence,
            priority=self.priority,
            green=self.green,
            risk=self.risk,
            sentiment=self.sentiment,
            lang=self.lang,
            orders=tuple(self.orders),
            tracking=tuple(self.tracking),
            runner_up=self.runner_up,
            reasons=dict(self.reasons),
        )


class SuggestedPublic(Wire):
    id: int = Field(description="the article's id")
    title: str
    kind: ArticleKind
    lang: ArticleLang
    score: float = Field(description="higher is better")
    body: str = Field(description="the text; a template filled from the ticket")
    missing: list[str] = Field(description="placeholders the ticket could not fill")

    def to_domain(self) -> Suggested:
        return Suggested(
            self.id, self.title, self.kind, self.score, self.body, tuple(self.missing), self.lang
        )


class SuggestionsPublic(Public[Suggestions]):
    """`category`, `priority` and `risk` repeat the triage's, for a quick read."""

    ticket_id: int | None
    category: Category
    priority: Priority
    risk: str
    triage: TriagePublic
    items: list[SuggestedPublic] = Field(description="best first")

    @classmethod
    def encode(cls, obj: Suggestions) -> Json:
        return obj.to_json()

    def to_domain(self) -> Suggestions:
        return Suggestions(
            self.triage.to_domain(), tuple(i.to_domain() for i in self.items), self.ticket_id
        )
