"""The knowledge base's search index, on SQLite (FTS5) and PostgreSQL (tsvector).

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

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection

from cstui.errors import BadInput
from cstui.search.query import Query
from cstui.search.segment import cut_fields
from cstui.store.rows import AnyRow
from cstui.store.tsvector import tsvector_literal

FACET = "\ue001"  # private use: never a query token, so facet tokens only match filters
CANDIDATES = 4_000  # a ranked tier scores at most this many matches, the newest
PG_CANDIDATES = 1_000  # ts_rank_cd reads each row's whole tsvector: dearer than bm25
HIT_COLUMNS = ("id", "title", "body", "kind", "lang")  # what a search hit shows
HIT_SELECT = ", ".join(f"a.{c}" for c in HIT_COLUMNS)
DRAFT_FACET = f"{FACET}sdraft"


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
        title, tags, body = cut or cut_fields(m["title"], tags_of(m["tags"]), m["body"])
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


def index_for(conn: Connection) -> SearchIndex:
    return index_named(conn.dialect.name)


def index_named(dialect: str) -> SearchIndex:
    return Fts5Index() if dialect == "sqlite" else PgIndex()


def add_to_index(conn: Connection, entries: Sequence[Entry]) -> None:
    if entries:
        index = index_for(conn)
        index.write(conn, index.rows(entries))


def index_imported(conn: Connection, rows: Sequence[AnyRow]) -> None:
    """Index articles that an import inserted as rows (in the import's transaction)."""
    add_to_index(conn, [Entry.of(r) for r in rows])


def tags_of(value: str | Sequence[str]) -> tuple[str, ...]:
    """An article's tags, from their stored JSON text (or as given)."""
    if not isinstance(value, str):
        return tuple(value)
    try:
        tags = json.loads(value)
    except json.JSONDecodeError:
        raise BadInput(f"tags: not a JSON list: {value[:40]!r}") from None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadInput(f"tags: not a JSON list of strings: {value[:40]!r}")
    return tuple(tags)
