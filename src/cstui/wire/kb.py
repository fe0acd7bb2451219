"""The knowledge base: articles, and search hits with their highlights."""

from __future__ import annotations

from pydantic import Field

from cstui.domain.model import Article, ArticleKind, ArticleLang, Category, SearchHit
from cstui.wire.base import Json, Public, Stamp
from cstui.wire.tickets import Span


class ArticlePublic(Public[Article]):
    id: int
    kind: ArticleKind
    title: str
    body: str
    lang: ArticleLang
    tags: list[str]
    category: Category | None
    author: str | None
    version: int = Field(description="If-Match on an edit names it")
    created_at: Stamp
    updated_at: Stamp
    draft: bool = Field(description="captured from a ticket, left out of searches until published")
    source_ticket_id: int | None = Field(description="the ticket a captured article came from")

    @classmethod
    def encode(cls, a: Article) -> Json:
        return {
            "id": a.id,
            "kind": a.kind.value,
            "title": a.title,
            "body": a.body,
            "lang": a.lang.value,
            "tags": list(a.tags),
            "category": a.category.value if a.category else None,
            "author": a.author,
            "version": a.version,
            "created_at": a.created_at.isoformat(),
            "updated_at": a.updated_at.isoformat(),
            "draft": a.draft,
            "source_ticket_id": a.source_ticket_id,
        }

    def to_domain(self) -> Article:
        return Article(
            id=self.id,
            kind=self.kind,
            title=self.title,
            body=self.body,
            lang=self.lang,
            tags=tuple(self.tags),
            category=self.category,
            author=self.author,
            version=self.version,
            created_at=self.created_at,
            updated_at=self.updated_at,
            draft=self.draft,
            source_ticket_id=self.source_ticket_id,
        )


class ArticleHitPublic(Public[SearchHit]):
    """A search hit: `highlights` index `snippet_text`, `title_highlights` the title."""

    id: int = Field(description="the article's id")
    title: str
    snippet: str = Field(description="`snippet_text` with each match marked [like this]")
    kind: ArticleKind
    lang: ArticleLang
    score: float | None = Field(description="higher is better; null for unranked hits")
    snippet_text: str = Field(description="plain text around the first match, … where cut")
    highlights: list[Span]
    title_highlights: list[Span]

    @classmethod
    def encode(cls, h: SearchHit) -> Json:
        return {
            "id": h.article_id,
            "title": h.title,
            "snippet": h.marked(),
            "kind": h.kind.value,
            "lang": h.lang.value,
            "score": None if h.score is None else round(h.score, 6),
            "snippet_text": h.snippet,
            "highlights": [list(span) for span in h.highlights],
            "title_highlights": [list(span) for span in h.title_highlights],
        }

    def to_domain(self) -> SearchHit:
        return SearchHit(
            article_id=self.id,
            title=self.title,
            snippet=self.snippet_text,
            kind=self.kind,
            lang=self.lang,
            score=self.score,
            highlights=tuple(self.highlights),
            title_highlights=tuple(self.title_highlights),
        )
