"""The payloads of the knowledge base's events."""

from __future__ import annotations

from cstui.domain.events.base import Payload, omitted, payload_class
from cstui.domain.model import ArticleKind, EventKind


@payload_class
class ArticleAdded(Payload):
    KIND = EventKind.ARTICLE_ADDED
    article_id: int
    kind: ArticleKind
    title: str
    draft: bool = omitted(False)
    source_ticket_id: int | None = omitted()


@payload_class
class ArticleEdited(Payload):
    KIND = EventKind.ARTICLE_EDITED
    article_id: int
    version: int
    changed: tuple[str, ...]
    old_version: int


@payload_class
class ArticlePublished(Payload):
    KIND = EventKind.ARTICLE_PUBLISHED
    article_id: int
    version: int
    old_version: int


@payload_class
class ArticlesLoaded(Payload):
    KIND = EventKind.ARTICLES_LOADED
    count: int
    first_id: int
    last_id: int
