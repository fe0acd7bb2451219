"""Knowledge-base articles: adding, editing and publishing them, reading and searching.

Each write indexes the article in its own transaction (`kb.index`): an edit is searchable
the moment it commits. A search has two tiers: articles whose title or tags hold every
term first, then the other matches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, RowMapping

from cstui.domain import rights
from cstui.domain.model import Article, ArticleKind, ArticleLang, Category, EventKind, SearchHit
from cstui.errors import BadInput, Conflict, NotFound, StaleVersion
from cstui.search.query import Query, highlight, parse, snippet
from cstui.store.base import NewArticle
from cstui.store.kb.index import (
    HIT_COLUMNS,
    Entry,
    Search,
    SearchIndex,
    add_to_index,
    index_for,
    tags_of,
)
from cstui.store.rows import AnyRow
from cstui.store.schema import ARTICLES
from cstui.store.tx import Tx

MAX_TITLE = 200
MAX_BODY = 12_000  # PostgreSQL keeps word positions up to 16,383: title + tags + body fit
MAX_TAGS = 20
MAX_TAG = 40
MAX_LIMIT = 100
tags_json = json.JSONEncoder(ensure_ascii=False).encode


# -- writing -------------------------------------------------------------------------------


def add_article(tx: Tx, *, new: NewArticle, actor: str) -> Article:
    """One article, indexed and logged in one transaction."""
    now = tx.clock()
    values = validated(new, now)
    tx.agent(actor)
    values["author"] = actor
    insert_article(tx, values, actor=actor, at=now)
    return article_from(values)


def insert_article(tx: Tx, values: dict[str, Any], *, actor: str, at: datetime) -> None:
    """Insert, index and log checked column values; `values` gets the new id."""
    values["id"] = tx.insert(ARTICLES, values)
    add_to_index(tx.conn, [Entry.of(values)])
    logged = {"article_id": values["id"], "kind": values["kind"], "title": values["title"]}
    if values["draft"]:
        logged |= {"draft": True, "source_ticket_id": values["source_ticket_id"]}
    tx.event(EventKind.ARTICLE_ADDED, ticket_id=None, actor=actor, at=at, new=logged)


def publish_article(tx: Tx, *, article_id: int, actor: str) -> Article:
    """A supervisor (or an admin) makes a draft searchable; it is found on commit."""
    now = tx.clock()
    conn = tx.conn
    rights.check(rights.PUBLISH_ARTICLE, actor=actor, role=tx.role(actor))
    row = _locked_article(conn, article_id)
    if not row["draft"]:
        raise Conflict(f"article {article_id} is already published")
    after = {**row, "draft": 0, "version": row["version"] + 1, "updated_at": now}
    conn.execute(
        update(ARTICLES)
        .where(ARTICLES.c.id == article_id)
        .values(draft=0, version=after["version"], updated_at=now)
    )
    index_for(conn).replace(conn, Entry.of(row), Entry.of(after))
    tx.event(
        EventKind.ARTICLE_PUBLISHED,
        ticket_id=None,
        actor=actor,
        at=now,
        old={"version": row["version"]},
        new={"article_id": article_id, "version": after["version"]},
    )
    return article_from(after)


def update_article(
    tx: Tx,
    *,
    article_id: int,
    actor: str,
    title: str | None,
    body: str | None,
    tags: Iterable[str] | None,
    expected_version: int | None,
) -> Article:
    """Edit an article (its author, or a supervisor); the edit is searchable on commit."""
    if title is None and body is None and tags is None:
        raise BadInput("article: nothing to change (give a title, a body or tags)")
    now = tx.clock()
    conn = tx.conn
    role = tx.role(actor)
    row = _locked_article(conn, article_id)
    rights.check(rights.EDIT_ARTICLE, actor=actor, role=role, owner=row["author"])
    if expected_version is not None and expected_version != row["version"]:
        raise StaleVersion(
            f"article {article_id} changed (version {row['version']}, "
            f"you had {expected_version}): reload it"
        )
    changes = _edits(row, title, body, tags)
    result = conn.execute(
        update(ARTICLES)
        .where(ARTICLES.c.id == article_id, ARTICLES.c.version == row["version"])
        .values(**changes, version=row["version"] + 1, updated_at=now)
    )
    if result.rowcount != 1:
        raise StaleVersion(f"article {article_id} changed meanwhile: reload it")
    after = {**row, **changes, "version": row["version"] + 1, "updated_at": now}
    index_for(conn).replace(conn, Entry.of(row), Entry.of(after))
    tx.event(
        EventKind.ARTICLE_EDITED,
        ticket_id=None,
        actor=actor,
        at=now,
        old={"version": row["version"]},
        new={"article_id": article_id, "version": after["version"], "changed": sorted(changes)},
    )
    return article_from(after)


def _locked_article(conn: Connection, article_id: int) -> RowMapping:
    q = select(ARTICLES).where(ARTICLES.c.id == article_id).with_for_update()
    m = conn.execute(q).mappings().first()
    if m is None:
        raise NotFound(f"article {article_id}: no such article")
    return m


def _edits(
    row: RowMapping, title: str | None, body: str | None, tags: Iterable[str] | None
) -> dict[str, Any]:
    new = NewArticle(
        title=row["title"] if title is None else title,
        body=row["body"] if body is None else body,
        kind=ArticleKind(row["kind"]),
        lang=ArticleLang(row["lang"]),
        tags=tags_of(row["tags"]) if tags is None else tuple(tags),
    )
    checked = validated(new, row["created_at"])
    return {k: checked[k] for k in ("title", "body", "tags") if checked[k] != row[k]}


def validated(new: NewArticle, now: datetime, tags: list[str] | None = None) -> dict[str, Any]:
    """Column values for a new article; BadInput names the field that is wrong."""
    title = " ".join(new.title.split())
    body = new.body.strip()
    if not title or len(title) > MAX_TITLE:
        raise BadInput(f"title: 1 to {MAX_TITLE} characters")
    if not body or len(body) > MAX_BODY:
        raise BadInput(f"body: 1 to {MAX_BODY} characters")
    return {
        "kind": ArticleKind(new.kind).value,
        "title": title,
        "body": body,
        "lang": ArticleLang(new.lang).value,
        "tags": tags_json(clean_tags(new.tags) if tags is None else tags),
        "category": Category(new.category).value if new.category else None,
        "author": new.author,
        "version": 1,
        "created_at": new.created_at or now,
        "updated_at": new.created_at or now,
        "draft": int(new.draft),
        "source_ticket_id": new.source_ticket_id,
    }


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags stripped, without empties or repeats, at most MAX_TAGS of MAX_TAG characters."""
    out = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if len(out) > MAX_TAGS:
        raise BadInput(f"tags: at most {MAX_TAGS}")
    if any(len(t) > MAX_TAG for t in out):
        raise BadInput(f"tags: each at most {MAX_TAG} characters")
    return out


# -- reading and searching ------------------------------------------------------------------


def get_article(tx: Tx, *, article_id: int) -> Article:
    m = tx.conn.execute(select(ARTICLES).where(ARTICLES.c.id == article_id)).mappings()
    row = m.first()
    if row is None:
        raise NotFound(f"article {article_id}: no such article")
    return article_from(row)


def find_template(tx: Tx, *, name: str, lang: ArticleLang | None) -> Article:
    """A published quick-response template by its id or its slug (its first tag).

    A slug names one template in every language it is written in: `lang` picks one, else
    the oldest. The slug is matched case-insensitively.
    """
    wanted = name.strip()
    if wanted.isdigit():
        rows = _templates_where(tx, ARTICLES.c.id == int(wanted))
    else:
        prefix = tags_json([wanted.lower()])[:-1]  # '["slug"': the first tag, as stored
        pattern = _like_escape(prefix) + "%"
        rows = [
            r
            for r in _templates_where(tx, func.lower(ARTICLES.c.tags).like(pattern, "\\"))
            if (tags_of(r["tags"]) or ("",))[0].lower() == wanted.lower()
        ]
    if not rows:
        raise NotFound(f"template {name}: no such template (a template's first tag or its id)")
    # The wanted language first, then the oldest: the one a team wrote first.
    best = min(rows, key=lambda r: (lang is not None and r["lang"] != lang.value, r["id"]))
    return article_from(best)


def _templates_where(tx: Tx, clause: Any) -> list[RowMapping]:
    q = select(ARTICLES).where(
        clause, ARTICLES.c.kind == ArticleKind.TEMPLATE.value, ARTICLES.c.draft == 0
    )
    return list(tx.conn.execute(q).mappings())


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_articles(
    tx: Tx,
    *,
    query: str,
    limit: int,
    kind: ArticleKind | None,
    lang: ArticleLang | None,
    include_drafts: bool,
) -> list[SearchHit]:
    """The best `limit` articles for the query, best first, with highlighted snippets.

    Two tiers: articles whose title or tags hold every term come first (ranked among
    themselves), then the other matches. Each tier ranks at most its CANDIDATES newest
    matches, so a word found in most of the knowledge base still answers within a budget.
    Drafts are left out unless `include_drafts`.
    """
    parsed = _parsed(query, limit)
    if not parsed.terms:
        return []
    kind_, lang_ = (kind.value if kind else None), (lang.value if lang else None)
    search = Search(parsed, limit, kind_, lang_, include_drafts)
    conn = tx.conn
    scored = _tiers(index_for(conn), conn, search)
    rows = _rows_by_id(conn, [i for i, _ in scored])
    return [_hit(rows[i], parsed, score) for i, score in scored if i in rows]


def _tiers(index: SearchIndex, conn: Connection, search: Search) -> list[tuple[int, float]]:
    head = index.ranked(conn, search, head=True)
    if len(head) >= search.limit:
        return head
    seen = {i for i, _ in head}
    wider = Search(search.query, search.limit + len(head), search.kind, search.lang, search.drafts)
    rest = [hit for hit in index.ranked(conn, wider, head=False) if hit[0] not in seen]
    return head + rest[: search.limit - len(head)]


def search_articles_unranked(
    tx: Tx, *, query: str, limit: int, include_drafts: bool
) -> list[SearchHit]:
    """Some matching articles, as fast as the index can name them (search as you type)."""
    parsed = _parsed(query, limit)
    if not parsed.terms:
        return []
    rows = index_for(tx.conn).unranked(tx.conn, parsed, limit, include_drafts)
    return [_hit(r, parsed, None) for r in rows]


def count_matches(tx: Tx, *, query: str, include_drafts: bool) -> int:
    """How many articles match (for a result count; it reads every match)."""
    parsed = parse(query)
    if not parsed.terms:
        return 0
    return index_for(tx.conn).count(tx.conn, parsed, include_drafts)


def _parsed(query: str, limit: int) -> Query:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"limit: between 1 and {MAX_LIMIT}")
    return parse(query)


def _rows_by_id(conn: Connection, ids: list[int]) -> dict[int, RowMapping]:
    """What a hit shows, for a page of ids (no timestamps to convert)."""
    if not ids:
        return {}
    q = select(*(ARTICLES.c[c] for c in HIT_COLUMNS)).where(ARTICLES.c.id.in_(ids))
    return {m["id"]: m for m in conn.execute(q).mappings()}


def _hit(row: AnyRow, query: Query, score: float | None) -> SearchHit:
    text_, spans = snippet(row["body"], query)
    return SearchHit(
        article_id=row["id"],
        title=row["title"],
        snippet=text_,
        kind=ArticleKind(row["kind"]),
        lang=ArticleLang(row["lang"]),
        score=score,
        highlights=spans,
        title_highlights=tuple(highlight(row["title"], query)),
    )


def article_from(m: AnyRow) -> Article:
    return Article(
        id=m["id"],
        kind=ArticleKind(m["kind"]),
        title=m["title"],
        body=m["body"],
        lang=ArticleLang(m["lang"]),
        tags=tags_of(m["tags"]),
        category=Category(m["category"]) if m["category"] else None,
        author=m["author"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        draft=bool(m["draft"]),
        source_ticket_id=m["source_ticket_id"],
    )
