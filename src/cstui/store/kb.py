"""Knowledge-base articles and their search index, on SQLite (FTS5) and PostgreSQL (tsvector).

Both backends index the same tokens (`cstui.search.segment`: CJK bigrams, words) and answer
the same parsed query (`cstui.search.query`), so they find exactly the same articles; only
the ranking function differs (bm25 on SQLite, `ts_rank_cd` on PostgreSQL; title weighs
most, then tags, then body). Every write indexes in its own transaction: an edit is
searchable the moment it commits.

SQLite: `kb_fts(title, tags, body, facets)` and `kb_head(title, tags, facets)`, contentless
FTS5 tables (rowid = article id) with the `ascii` tokenizer, which splits the pre-cut text
exactly at its spaces. The text is stored once, in `articles`; the index holds only tokens.
A contentless table cannot read back what it indexed, so an edit deletes the old entry by
cutting the old text again (FTS5's 'delete' needs the very tokens that were inserted; the
cut is deterministic). `facets` holds the kind and language as tokens no query can
produce, so a filtered search is one MATCH, without a join.

PostgreSQL: `kb_search(article_id, kind, lang, head, doc)`, tsvectors written as literals
from the same tokens (title weight A, tags B, body D, a position gap between fields so no
phrase spans two), under GIN indexes; the query is a `tsquery` cast from text, so
PostgreSQL's own parser and dictionaries never touch either side.

Ranking, on both: articles whose title or tags hold every term come first (`kb_head`,
`head`), then the other matches. Scoring is per match (bm25 costs ~2 µs a row here), so a
tier scores at most its CANDIDATES newest matches: a word in most of 100,000 articles still
answers in a few tens of milliseconds. The title tier reads titles and tags only, so a word
that is in a few titles but in thousands of bodies still puts those titles first.

Drafts (articles captured from a ticket, waiting for a supervisor) are indexed like any other
article but carry a flag: one more facet token on SQLite, a `draft` column on PostgreSQL.
Searches leave them out unless asked; publishing rewrites the entry without the flag.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import multiprocessing.context
import os
import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Connection, RowMapping, make_url

from cstui.domain import rights
from cstui.domain.model import (
    Article,
    ArticleKind,
    ArticleLang,
    Category,
    EventKind,
    Message,
    MessageKind,
    Role,
    SearchHit,
)
from cstui.errors import BadInput, Conflict, NotFound, StaleVersion
from cstui.search.query import Query, highlight, parse, snippet
from cstui.search.segment import CJK_CLASS, cut_fields
from cstui.store.base import NewArticle
from cstui.store.schema import ARTICLES, TICKETS

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore


AnyRow = Mapping[str, Any] | RowMapping  # a row as read, or the dict it was written from

MAX_TITLE = 200
MAX_BODY = 12_000  # PostgreSQL keeps word positions up to 16,383: title + tags + body fit
MAX_TAGS = 20
MAX_TAG = 40
MAX_LIMIT = 100
BULK_BATCH = 2_000
_TAGS_JSON = json.JSONEncoder(ensure_ascii=False).encode

FACET = "\ue001"  # private use: never a query token, so facet tokens only match filters
CANDIDATES = 4_000  # a ranked tier scores at most this many matches, the newest
PG_CANDIDATES = 1_000  # ts_rank_cd reads each row's whole tsvector: dearer than bm25
HIT_COLUMNS = ("id", "title", "body", "kind", "lang")  # what a search hit shows
HIT_SELECT = ", ".join(f"a.{c}" for c in HIT_COLUMNS)
DRAFT_FACET = f"{FACET}sdraft"
PG_MAX_POSITION = 16_383
PG_MAX_POSITIONS = 256  # per lexeme, PostgreSQL keeps no more


# -- what gets indexed ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """An article as the index sees it: id, facets, and its fields cut into tokens."""

    id: int
    kind: str
    lang: str
    title: str  # space-separated tokens (`segment.index_text`)
    tags: str
    body: str
    draft: bool = False

    @classmethod
    def of(cls, m: AnyRow, cut: tuple[str, str, str] | None = None) -> Entry:
        """From an `articles` row or dict (tags as JSON text), cut here unless given."""
        title, tags, body = cut or cut_fields(m["title"], _tags_of(m["tags"]), m["body"])
        return cls(m["id"], m["kind"], m["lang"], title, tags, body, bool(m["draft"]))

    def facets(self) -> str:
        # Only drafts get a status token: entries indexed before drafts existed stay right.
        status = f" {DRAFT_FACET}" if self.draft else ""
        return f"{FACET}k{self.kind} {FACET}l{self.lang}{status}"


@dataclass(frozen=True, slots=True)
class Search:
    """A ranked search: the query, how many hits, and the optional kind and language."""

    query: Query
    limit: int
    kind: str | None = None
    lang: str | None = None
    drafts: bool = False  # include drafts


class SearchIndex(Protocol):
    """One database's way of indexing and querying; both find the same articles.

    `ranked(head=True)` searches titles and tags only: the first tier of a ranked search.
    """

    def rows(self, entries: Sequence[Entry]) -> Any: ...
    def write(self, conn: Connection, rows: Any) -> None: ...
    def replace(self, conn: Connection, old: Entry, new: Entry) -> None: ...
    def clear(self, conn: Connection) -> None: ...
    def ranked(
        self, conn: Connection, search: Search, *, head: bool
    ) -> list[tuple[int, float]]: ...
    def unranked(
        self, conn: Connection, query: Query, limit: int, drafts: bool = False
    ) -> list[dict[str, Any]]: ...
    def count(self, conn: Connection, query: Query, drafts: bool = False) -> int: ...


class Fts5Index:
    """SQLite: contentless FTS5 tables over the pre-cut text, ranked by bm25.

    `kb_fts` holds every field; `kb_head` holds titles and tags again, so that the first
    tier (title and tag matches) reads short doclists and scores only those matches.
    """

    columns: ClassVar[dict[str, tuple[str, ...]]] = {
        "kb_fts": ("title", "tags", "body", "facets"),
        "kb_head": ("title", "tags", "facets"),
    }
    weights: ClassVar[dict[str, str]] = {
        "kb_fts": "10.0, 4.0, 1.0, 0.0",
        "kb_head": "10.0, 4.0, 0.0",
    }

    def _rows(self, e: Entry) -> dict[str, tuple[Any, ...]]:
        return {
            "kb_fts": (e.id, e.title, e.tags, e.body, e.facets()),
            "kb_head": (e.id, e.title, e.tags, e.facets()),
        }

    def _insert(
        self, conn: Connection, table: str, rows: list[tuple[Any, ...]], op: str = ""
    ) -> None:
        cols = self.columns[table]
        marks = ", ".join("?" * (len(cols) + 1))
        target, values = (f"{table}, rowid", f"'{op}', {marks}") if op else ("rowid", marks)
        sql = f"INSERT INTO {table} ({target}, {', '.join(cols)}) VALUES ({values})"
        conn.exec_driver_sql(sql, rows)

    def rows(self, entries: Sequence[Entry]) -> dict[str, list[tuple[Any, ...]]]:
        made = [self._rows(e) for e in entries]
        return {table: [r[table] for r in made] for table in self.columns}

    def write(self, conn: Connection, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        for table, table_rows in rows.items():
            self._insert(conn, table, table_rows)

    def replace(self, conn: Connection, old: Entry, new: Entry) -> None:
        """Delete the old entry with the very tokens it was indexed with, insert the new."""
        before, after = self._rows(old), self._rows(new)
        for table in self.columns:
            self._insert(conn, table, [before[table]], op="delete")
            self._insert(conn, table, [after[table]])

    def clear(self, conn: Connection) -> None:
        for table in self.columns:
            conn.exec_driver_sql(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")

    def _match(
        self,
        query: Query,
        kind: str | None = None,
        lang: str | None = None,
        drafts: bool = False,
    ) -> str:
        expr = query.fts5()
        for prefix, value in (("k", kind), ("l", lang)):
            if value is not None:
                expr += f' AND "{FACET}{prefix}{value}"'
        return expr if drafts else f'({expr}) NOT "{DRAFT_FACET}"'

    def ranked(self, conn: Connection, search: Search, *, head: bool) -> list[tuple[int, float]]:
        """bm25 over the newest CANDIDATES matches (all of them when there are fewer)."""
        table = "kb_head" if head else "kb_fts"
        match = self._match(search.query, search.kind, search.lang, search.drafts)
        newest = (
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? "
            f"ORDER BY rowid DESC LIMIT 1 OFFSET {CANDIDATES - 1}"
        )
        sql = (
            f"SELECT rowid, bm25({table}, {self.weights[table]}) AS r FROM {table} "
            f"WHERE {table} MATCH ? AND rowid >= coalesce(({newest}), 0) "
            "ORDER BY r, rowid LIMIT ?"
        )
        rows = conn.exec_driver_sql(sql, (match, match, search.limit))
        return [(int(i), -float(r)) for i, r in rows]

    def unranked(
        self, conn: Connection, query: Query, limit: int, drafts: bool = False
    ) -> list[dict[str, Any]]:
        """The newest matches, with what a hit shows.

        A word still being typed is tried whole first (`Query.exact`): FTS5 streams one
        doclist and stops at `limit`, where a prefix must merge every doclist it expands to.
        """
        exact = query.exact()
        rows = self._newest(conn, exact, limit, drafts) if exact is not query else []
        return rows if len(rows) >= limit else self._newest(conn, query, limit, drafts)

    def _newest(
        self, conn: Connection, query: Query, limit: int, drafts: bool
    ) -> list[dict[str, Any]]:
        sql = (
            f"SELECT {HIT_SELECT} FROM articles AS a JOIN (SELECT rowid AS id FROM kb_fts "
            "WHERE kb_fts MATCH ? ORDER BY rowid DESC LIMIT ?) AS f ON a.id = f.id "
            "ORDER BY a.id DESC"
        )
        rows = conn.exec_driver_sql(sql, (self._match(query, drafts=drafts), limit))
        return [dict(zip(HIT_COLUMNS, r, strict=True)) for r in rows]

    def count(self, conn: Connection, query: Query, drafts: bool = False) -> int:
        sql = "SELECT count(*) FROM kb_fts WHERE kb_fts MATCH ?"
        match = self._match(query, drafts=drafts)
        return int(conn.exec_driver_sql(sql, (match,)).scalar_one())


class PgIndex:
    """PostgreSQL: tsvectors under GIN indexes, ranked by `ts_rank_cd`.

    `head` holds the title and tags (the first tier), `doc` every field.
    """

    def rows(self, entries: Sequence[Entry]) -> list[dict[str, Any]]:
        return [self._values(e) for e in entries]

    def write(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        sql = text(
            "INSERT INTO kb_search (article_id, kind, lang, draft, head, doc) VALUES "
            "(:id, :kind, :lang, :draft, CAST(:head AS tsvector), CAST(:doc AS tsvector))"
        )
        conn.execute(sql, rows)

    def replace(self, conn: Connection, old: Entry, new: Entry) -> None:
        sql = text(
            "UPDATE kb_search SET kind = :kind, lang = :lang, draft = :draft, "
            "head = CAST(:head AS tsvector), doc = CAST(:doc AS tsvector) WHERE article_id = :id"
        )
        conn.execute(sql, self._values(new))

    def clear(self, conn: Connection) -> None:
        conn.execute(text("DELETE FROM kb_search"))

    def _values(self, e: Entry) -> dict[str, Any]:
        title, tags, body = e.title.split(), e.tags.split(), e.body.split()
        return {
            "id": e.id,
            "kind": e.kind,
            "lang": e.lang,
            "draft": int(e.draft),
            "head": tsvector_literal([("A", title), ("B", tags)]),
            "doc": tsvector_literal([("A", title), ("B", tags), ("D", body)]),
        }

    def ranked(self, conn: Connection, search: Search, *, head: bool) -> list[tuple[int, float]]:
        """ts_rank_cd over the newest PG_CANDIDATES matches (all of them when fewer).

        The newest candidates are chosen with the loose query (no phrases), which the GIN
        index answers alone; the phrases are checked, and rows ranked, for those only.
        """
        column = "head" if head else "doc"
        where = [f"{column} @@ CAST(:loose AS tsquery)"]
        params: dict[str, Any] = {
            "q": search.query.tsquery(),
            "loose": search.query.tsquery(loose=True),
            "n": search.limit,
        }
        for name, value in (("kind", search.kind), ("lang", search.lang)):
            if value is not None:
                where.append(f"{name} = :{name}")
                params[name] = value
        if not search.drafts:
            where.append("draft = 0")
        sql = text(
            f"SELECT c.article_id, ts_rank_cd(c.{column}, q, 1) AS r FROM ("
            f"SELECT article_id, {column} FROM kb_search WHERE {' AND '.join(where)} "
            f"ORDER BY article_id DESC LIMIT {PG_CANDIDATES}) AS c, "
            f"CAST(:q AS tsquery) AS q WHERE c.{column} @@ q "
            "ORDER BY r DESC, c.article_id LIMIT :n"
        )
        return [(int(i), float(r)) for i, r in conn.execute(sql, params)]

    def unranked(
        self, conn: Connection, query: Query, limit: int, drafts: bool = False
    ) -> list[dict[str, Any]]:
        """Any matches the GIN index names first, with what a hit shows, in one statement."""
        sql = text(
            f"SELECT {HIT_SELECT} FROM articles AS a JOIN (SELECT article_id FROM kb_search "
            f"WHERE doc @@ CAST(:q AS tsquery){_pg_draft_filter(drafts)} LIMIT :n) AS f "
            "ON a.id = f.article_id"
        )
        rows = conn.execute(sql, {"q": query.tsquery(), "n": limit})
        return [dict(zip(HIT_COLUMNS, r, strict=True)) for r in rows]

    def count(self, conn: Connection, query: Query, drafts: bool = False) -> int:
        sql = text(
            "SELECT count(*) FROM kb_search "
            f"WHERE doc @@ CAST(:q AS tsquery){_pg_draft_filter(drafts)}"
        )
        return int(conn.execute(sql, {"q": query.tsquery()}).scalar_one())


def _pg_draft_filter(drafts: bool) -> str:
    return "" if drafts else " AND draft = 0"


def tsvector_literal(fields: list[tuple[str, list[str]]]) -> str:
    """A tsvector as text: each token with its positions and its field's weight.

    A position gap between fields keeps every phrase inside one field.
    """
    positions: dict[str, list[str]] = {}
    pos = 1
    for weight, tokens in fields:
        for token in tokens:
            positions.setdefault(token, []).append(f"{min(pos, PG_MAX_POSITION)}{weight}")
            pos += 1
        pos += 1
    return " ".join(
        "'" + t.replace("\\", "\\\\").replace("'", "''") + "':" + ",".join(p[:PG_MAX_POSITIONS])
        for t, p in positions.items()
    )


def index_for(conn: Connection) -> SearchIndex:
    return index_named(conn.dialect.name)


def index_named(dialect: str) -> SearchIndex:
    return Fts5Index() if dialect == "sqlite" else PgIndex()


def add_to_index(conn: Connection, entries: Sequence[Entry]) -> None:
    if entries:
        index = index_for(conn)
        index.write(conn, index.rows(entries))


# -- articles: writing ----------------------------------------------------------------------


def add_article(store: SqlStore, new: NewArticle, *, actor: str) -> Article:
    """One article, indexed and logged in one transaction."""
    now = store.clock()
    values = _validated(new, now)
    with store._write() as conn:
        store._agent_row(conn, actor)
        values["author"] = actor
        _insert_article(store, conn, values, actor=actor, at=now)
    return article_from(values)


def _insert_article(
    store: SqlStore, conn: Connection, values: dict[str, Any], *, actor: str, at: datetime
) -> None:
    """Insert, index and log checked column values; `values` gets the new id."""
    inserted = conn.execute(insert(ARTICLES).values(**values))
    values["id"] = inserted.inserted_primary_key[0]  # type: ignore[index]
    add_to_index(conn, [Entry.of(values)])
    logged = {"article_id": values["id"], "kind": values["kind"], "title": values["title"]}
    if values["draft"]:
        logged |= {"draft": True, "source_ticket_id": values["source_ticket_id"]}
    store._event(conn, EventKind.ARTICLE_ADDED, ticket_id=None, actor=actor, at=at, new=logged)


# -- knowledge capture: a ticket's thread becomes a draft case -----------------------------

CATEGORY_TAGS: dict[Category, str] = {
    Category.LOGISTICS: "物流",
    Category.ADDRESS: "修改地址",
    Category.RETURN: "退换货",
    Category.REFUND: "退款",
    Category.REPAIR: "维修",
    Category.PARTS: "配件",
    Category.INVOICE: "发票",
    Category.PROMOTION: "优惠券",
    Category.PRODUCT: "产品咨询",
    Category.ACCOUNT: "账户安全",
    Category.COMPLAINT: "投诉",
}
THREAD_HEADINGS: dict[ArticleLang, tuple[str, str]] = {
    ArticleLang.ZH: ("客户问题：", "客服答复："),
    ArticleLang.EN: ("Question:", "Answer:"),
}
_CJK = re.compile(f"[{CJK_CLASS}]")
_WORD = re.compile(rf"[^\W\d_{CJK_CLASS}]+")


def guess_lang(text_: str) -> ArticleLang:
    """Chinese when the text has at least as many Chinese words as other words.

    Chinese text often holds a Latin word (iPhone, VIP), English text now and then a
    Chinese term in brackets (质检): a count, not the mere presence, tells them apart.
    A Chinese word is counted as two characters, the most common length.
    """
    cjk = len(_CJK.findall(text_))
    return ArticleLang.ZH if cjk >= 2 * len(_WORD.findall(text_)) else ArticleLang.EN


def capture_article(store: SqlStore, ticket_id: int, *, actor: str) -> Article:
    """A draft case from a ticket's thread, for a supervisor to publish (one transaction)."""
    now = store.clock()
    with store._write() as conn:
        store._agent_row(conn, actor)
        q = select(TICKETS.c.subject, TICKETS.c.category).where(TICKETS.c.id == ticket_id)
        ticket = conn.execute(q).mappings().first()
        if ticket is None:
            raise NotFound(f"ticket {ticket_id}: no such ticket")
        thread = store._messages(conn, ticket_id)
        new = draft_from_thread(ticket_id, ticket["subject"], Category(ticket["category"]), thread)
        values = _validated(new, now)
        values["author"] = actor
        _insert_article(store, conn, values, actor=actor, at=now)
    return article_from(values)


def draft_from_thread(
    ticket_id: int, subject: str, category: Category, messages: Sequence[Message]
) -> NewArticle:
    """The customer's questions, then the agents' replies, without their authors' names.

    Internal notes never leave the ticket. The draft may still quote what the customer wrote
    (an order number, a phone): the supervisor who publishes it reads it first.
    """
    questions = _bodies(messages, MessageKind.CUSTOMER)
    replies = _bodies(messages, MessageKind.REPLY)
    if not questions and not replies:
        raise Conflict(f"ticket {ticket_id}: nothing to capture (no question and no reply)")
    title = " ".join(subject.split()) or f"#{ticket_id}"
    lang = guess_lang("\n".join([title, *questions, *replies]))
    sections = [
        heading + "\n" + "\n\n".join(bodies)
        for heading, bodies in zip(THREAD_HEADINGS[lang], (questions, replies), strict=True)
        if bodies
    ]
    other = ArticleLang.EN if lang is ArticleLang.ZH else ArticleLang.ZH
    labels = {ArticleLang.ZH: CATEGORY_TAGS[category], ArticleLang.EN: category.value}
    return NewArticle(
        title=_cut(title, MAX_TITLE),
        body=_cut("\n\n".join(sections), MAX_BODY),
        kind=ArticleKind.CASE,
        lang=lang,
        tags=(labels[lang], labels[other]),
        category=category,
        draft=True,
        source_ticket_id=ticket_id,
    )


def _bodies(messages: Sequence[Message], kind: MessageKind) -> list[str]:
    return [m.body.strip() for m in messages if m.kind is kind and m.body.strip()]


def _cut(value: str, limit: int) -> str:
    """At most `limit` characters; a long thread loses its end, marked with `…`."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def publish_article(store: SqlStore, article_id: int, *, actor: str) -> Article:
    """A supervisor (or an admin) makes a draft searchable; it is found on commit."""
    now = store.clock()
    with store._write() as conn:
        agent = store._agent_row(conn, actor)
        rights.check(rights.PUBLISH_ARTICLE, actor=actor, role=Role(agent["role"]))
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
        store._event(
            conn,
            EventKind.ARTICLE_PUBLISHED,
            ticket_id=None,
            actor=actor,
            at=now,
            old={"version": row["version"]},
            new={"article_id": article_id, "version": after["version"]},
        )
    return article_from(after)


def update_article(
    store: SqlStore,
    article_id: int,
    *,
    actor: str,
    title: str | None = None,
    body: str | None = None,
    tags: Iterable[str] | None = None,
    expected_version: int | None = None,
) -> Article:
    """Edit an article (its author, or a supervisor); the edit is searchable on commit."""
    if title is None and body is None and tags is None:
        raise BadInput("article: nothing to change (give a title, a body or tags)")
    now = store.clock()
    with store._write() as conn:
        agent = store._agent_row(conn, actor)
        row = _locked_article(conn, article_id)
        rights.check(
            rights.EDIT_ARTICLE, actor=actor, role=Role(agent["role"]), owner=row["author"]
        )
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
        store._event(
            conn,
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
        tags=_tags_of(row["tags"]) if tags is None else tuple(tags),
    )
    checked = _validated(new, row["created_at"])
    return {k: checked[k] for k in ("title", "body", "tags") if checked[k] != row[k]}


def _validated(new: NewArticle, now: datetime, tags: list[str] | None = None) -> dict[str, Any]:
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
        "tags": _TAGS_JSON(clean_tags(new.tags) if tags is None else tags),
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


def bulk_add_articles(
    store: SqlStore,
    rows: Iterable[NewArticle],
    *,
    batch: int = BULK_BATCH,
    workers: int | None = None,
) -> int:
    """Insert and index many articles in one transaction (demo world, `seed --kb N`).

    Checking articles and cutting their text into index rows is pure Python and most of the
    work, so from the second batch on it runs in `workers` other processes (default: the
    number of CPUs, at most 4; 0: all here) while this one writes the batches before.
    The log gets one ARTICLES_LOADED event for the load, not one per article.
    Returns how many articles were added.
    """
    now = store.clock()
    added: list[int] = []
    dialect = f"{store.engine.dialect.name}+{store.engine.dialect.driver}"
    with store._write() as conn, _Workers(workers, dialect, now) as pool:
        ids = _IdSource(conn)
        index = index_for(conn)
        pending: deque[_Job] = deque()
        for chunk in _batched(iter(rows), batch):
            pending.append(pool.submit(chunk, ids.take(len(chunk))))
            while len(pending) > pool.depth:
                added += _write_batch(conn, index, pending.popleft().result())
        while pending:
            added += _write_batch(conn, index, pending.popleft().result())
        if conn.dialect.name == "postgresql":  # fresh statistics, or the planner guesses
            conn.execute(text("ANALYZE articles, kb_search"))
        if added:
            store._event(
                conn,
                EventKind.ARTICLES_LOADED,
                ticket_id=None,
                actor=None,
                at=now,
                new={"count": len(added), "first_id": min(added), "last_id": max(added)},
            )
    return len(added)


ARTICLE_COLUMNS = tuple(c.name for c in ARTICLES.columns)
_ID_AT = ARTICLE_COLUMNS.index("id")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A batch ready to write: `articles` rows (in ARTICLE_COLUMNS order, values as the
    driver takes them) and the index's rows for them."""

    articles: list[tuple[Any, ...]]
    index_rows: Any


def prepare_batch(chunk: list[NewArticle], ids: list[int], now: datetime, dialect: str) -> Prepared:
    """Check and cut a batch of articles (pure: runs in a worker process).

    `dialect` is the store's `name+driver`, for the same bind processing a write would do.
    """
    articles, entries = [], []
    for article, article_id in zip(chunk, ids, strict=True):
        tags = clean_tags(article.tags)
        values = _validated(article, now, tags)
        values["id"] = article_id
        articles.append(values)
        entries.append(Entry.of(values, cut_fields(values["title"], tags, values["body"])))
    index = index_named(dialect.partition("+")[0])
    return Prepared(_driver_rows(dialect, articles), index.rows(entries))


def _driver_rows(dialect: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as tuples, each value through its column's bind processor (UTC timestamps as ISO
    text on SQLite), each distinct value once (a load shares its timestamps)."""
    data: list[tuple[Any, ...]] = list(map(itemgetter(*ARTICLE_COLUMNS), rows))
    for i, proc in enumerate(_processors(dialect)):
        if proc is not None:
            done: dict[Any, Any] = {}
            for j, row in enumerate(data):
                value = row[i]
                if value not in done:
                    done[value] = proc(value)
                data[j] = (*row[:i], done[value], *row[i + 1 :])
    return data


@lru_cache(maxsize=4)
def _processors(dialect: str) -> list[Callable[[Any], Any] | None]:
    engine_dialect = make_url(f"{dialect}://").get_dialect()()
    return [ARTICLES.c[c].type.bind_processor(engine_dialect) for c in ARTICLE_COLUMNS]


def _write_batch(conn: Connection, index: SearchIndex, batch: Prepared) -> list[int]:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(ARTICLE_COLUMNS))})"
    )
    conn.exec_driver_sql(sql, batch.articles)
    index.write(conn, batch.index_rows)
    return [row[_ID_AT] for row in batch.articles]


@dataclass
class _Job:
    """A batch being prepared; if its worker process died, it is prepared here instead."""

    args: tuple[list[NewArticle], list[int], datetime, str]
    future: Future[Prepared] | None = None

    def result(self) -> Prepared:
        if self.future is not None:
            try:
                return self.future.result()
            except BrokenProcessPool:
                pass
        return prepare_batch(*self.args)


class _Workers:
    """Prepares the first batch here, later ones in other processes when that can work."""

    def __init__(self, workers: int | None, dialect: str, now: datetime) -> None:
        self.workers = min(4, os.cpu_count() or 1) if workers is None else workers
        self.dialect, self.now = dialect, now
        self.pool: ProcessPoolExecutor | None = None
        self.depth = 0  # batches prepared ahead of the one being written
        self.batches = 0

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, chunk: list[NewArticle], ids: list[int]) -> _Job:
        self.batches += 1
        job = _Job((chunk, ids, self.now, self.dialect))
        if self.batches == 2 and self.workers > 0:
            self._start(job)
        elif self.pool is not None:
            self._hand_over(job)
        return job

    def _start(self, job: _Job) -> None:
        """Start the pool with its first job (a forked pool forks here).

        The garbage collector is frozen meanwhile so that no forked worker ever finalises an
        object of this process, such as a database connection it shares the socket or file of.
        """
        context = _process_context()
        if context is None:
            return
        gc.collect()
        gc.freeze()
        try:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context)
            self.depth = 2 * self.workers
            self._hand_over(job)
        finally:
            gc.unfreeze()

    def _hand_over(self, job: _Job) -> None:
        assert self.pool is not None
        try:
            job.future = self.pool.submit(prepare_batch, *job.args)
        except (BrokenProcessPool, RuntimeError, OSError):
            self.pool, self.depth = None, 0


def _process_context() -> multiprocessing.context.BaseContext | None:
    """How to start workers: fork when it is safe (Linux, no other thread: nothing can hold
    a lock in the copy; the child never touches the parent's connection, and it skips the
    second or so a fresh interpreter takes to import the store), else spawn, which re-imports
    the main module (so it must be a file, or none); else no workers at all."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or os.path.exists(path):
        return multiprocessing.get_context("spawn")
    return None


class _IdSource:
    """Article ids for a bulk load, taken before insertion so the index can use them.

    SQLite: one past the largest id (the write lock is held). PostgreSQL: the sequence.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.next: int | None = None

    def take(self, n: int) -> list[int]:
        if self.conn.dialect.name != "sqlite":
            sql = text(
                "SELECT nextval(pg_get_serial_sequence('articles', 'id')) "
                "FROM generate_series(1, :n)"
            )
            return [int(i) for i in self.conn.execute(sql, {"n": n}).scalars()]
        if self.next is None:
            last = self.conn.execute(select(func.coalesce(func.max(ARTICLES.c.id), 0)))
            self.next = int(last.scalar_one()) + 1
        start, self.next = self.next, self.next + n
        return list(range(start, start + n))


def _batched(it: Iterator[NewArticle], size: int) -> Iterator[list[NewArticle]]:
    while chunk := list(islice(it, size)):
        yield chunk


def index_imported(conn: Connection, rows: Sequence[AnyRow]) -> None:
    """Index articles that an import inserted as rows (in the import's transaction)."""
    add_to_index(conn, [Entry.of(r) for r in rows])


def rebuild_index(store: SqlStore) -> int:
    """Drop and rebuild the whole index from `articles` (after a change to the cut)."""
    with store._write() as conn:
        index = index_for(conn)
        index.clear(conn)
        rows = conn.execute(select(ARTICLES).order_by(ARTICLES.c.id)).mappings().all()
        for start in range(0, len(rows), BULK_BATCH):
            add_to_index(conn, [Entry.of(r) for r in rows[start : start + BULK_BATCH]])
    return len(rows)


# -- articles: reading and searching --------------------------------------------------------


def get_article(store: SqlStore, article_id: int) -> Article:
    with store._read() as conn:
        m = conn.execute(select(ARTICLES).where(ARTICLES.c.id == article_id)).mappings()
        row = m.first()
    if row is None:
        raise NotFound(f"article {article_id}: no such article")
    return article_from(row)


def find_template(store: SqlStore, name: str, *, lang: ArticleLang | None = None) -> Article:
    """A published quick-response template by its id or its slug (its first tag).

    A slug names one template in every language it is written in: `lang` picks one, else
    the oldest. The slug is matched case-insensitively.
    """
    wanted = name.strip()
    if wanted.isdigit():
        rows = _templates_where(store, ARTICLES.c.id == int(wanted))
    else:
        prefix = _TAGS_JSON([wanted.lower()])[:-1]  # '["slug"': the first tag, as stored
        pattern = _like_escape(prefix) + "%"
        rows = [
            r
            for r in _templates_where(store, func.lower(ARTICLES.c.tags).like(pattern, "\\"))
            if (_tags_of(r["tags"]) or ("",))[0].lower() == wanted.lower()
        ]
    if not rows:
        raise NotFound(f"template {name}: no such template (a template's first tag or its id)")
    # The wanted language first, then the oldest: the one a team wrote first.
    best = min(rows, key=lambda r: (lang is not None and r["lang"] != lang.value, r["id"]))
    return article_from(best)


def _templates_where(store: SqlStore, clause: Any) -> list[RowMapping]:
    q = select(ARTICLES).where(
        clause, ARTICLES.c.kind == ArticleKind.TEMPLATE.value, ARTICLES.c.draft == 0
    )
    with store._read() as conn:
        return list(conn.execute(q).mappings())


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_articles(
    store: SqlStore,
    query: str,
    *,
    limit: int = 20,
    kind: ArticleKind | None = None,
    lang: ArticleLang | None = None,
    include_drafts: bool = False,
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
    with store._read() as conn:
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
    store: SqlStore, query: str, *, limit: int = 20, include_drafts: bool = False
) -> list[SearchHit]:
    """Some matching articles, as fast as the index can name them (search as you type)."""
    parsed = _parsed(query, limit)
    if not parsed.terms:
        return []
    with store._read() as conn:
        rows = index_for(conn).unranked(conn, parsed, limit, include_drafts)
    return [_hit(r, parsed, None) for r in rows]


def count_matches(store: SqlStore, query: str, *, include_drafts: bool = False) -> int:
    """How many articles match (for a result count; it reads every match)."""
    parsed = parse(query)
    if not parsed.terms:
        return 0
    with store._read() as conn:
        return index_for(conn).count(conn, parsed, include_drafts)


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
        tags=_tags_of(m["tags"]),
        category=Category(m["category"]) if m["category"] else None,
        author=m["author"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        draft=bool(m["draft"]),
        source_ticket_id=m["source_ticket_id"],
    )


def _tags_of(value: str | Sequence[str]) -> tuple[str, ...]:
    if not isinstance(value, str):
        return tuple(value)
    try:
        tags = json.loads(value)
    except json.JSONDecodeError:
        raise BadInput(f"tags: not a JSON list: {value[:40]!r}") from None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadInput(f"tags: not a JSON list of strings: {value[:40]!r}")
    return tuple(tags)
