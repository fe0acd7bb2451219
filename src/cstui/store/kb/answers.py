"""What the suggestion index is built from: the published FAQs and templates.

Read in one pass (id order, so the hand-written articles, loaded first, come first), with
the knowledge base's generation: its newest article and its newest event outside tickets
(every add, edit, publish and bulk load logs one; so do the rare changes to the team),
two index lookups that say whether a built index is still current.
"""

from __future__ import annotations

from sqlalchemy import func, select

from cstui.assist.ranking import Answerable
from cstui.domain.model import ArticleKind, Category
from cstui.store.kb.index import tags_of
from cstui.store.schema import ARTICLES, EVENTS
from cstui.store.tx import Tx

ANSWER_KINDS = (ArticleKind.FAQ.value, ArticleKind.TEMPLATE.value)
Generation = tuple[object, object]


def generation(tx: Tx) -> Generation:
    """The newest article's id and the newest event without a ticket (`ix_events_ticket`)."""
    newest = select(func.max(ARTICLES.c.id)).scalar_subquery()
    logged = select(func.max(EVENTS.c.id)).where(EVENTS.c.ticket_id.is_(None)).scalar_subquery()
    row = tx.conn.execute(select(newest, logged)).one()
    return (row[0], row[1])


def answerables(tx: Tx) -> list[Answerable]:
    a = ARTICLES.c
    q = (
        select(a.id, a.kind, a.lang, a.category, a.title, a.tags)
        .where(a.draft == 0, a.kind.in_(ANSWER_KINDS))
        .order_by(a.id)
    )
    return [
        Answerable(
            id=r[0],
            kind=ArticleKind(r[1]),
            lang=r[2],
            category=Category(r[3]) if r[3] else None,
            title=r[4],
            tags=tags_of(r[5]),
            body="",  # read for the articles shown only (`bodies`)
        )
        for r in tx.conn.execute(q)
    ]


def bodies(tx: Tx, ids: list[int]) -> dict[int, str]:
    """The whole text of the articles shown."""
    if not ids:
        return {}
    q = select(ARTICLES.c.id, ARTICLES.c.body).where(ARTICLES.c.id.in_(ids))
    return {int(i): b for i, b in tx.conn.execute(q)}
