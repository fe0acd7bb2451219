"""The first look at a local SQLite store: what the console shows before the store is open.

Opening the store imports SQLAlchemy and the store's modules (~150 ms on a quiet machine,
in a worker that competes with the screen for the GIL). A console on a local store reads
its agent and the first page of its opening view here first, through sqlite3 opened for
reading only, with the store's own page query (`pages.page_sql`) and row decoding
(`pages.page_of`): the same tickets, and the same cursor to continue after them. The store
reads them again once it is open, and takes over.

Anything unexpected (no such file, a schema other than this cstui's, a server's URL, a view
whose parameters the store works out, no such agent) gives no first look: the console then
waits for the store, which says what is wrong.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from urllib.parse import quote

from cstui.store import rows as R
from cstui.store.base import FirstLook, View
from cstui.store.migrations import HEAD_REVISION
from cstui.store.pages import check_limit, page_of, page_sql
from cstui.store.urls import normalise_url, sqlite_path
from cstui.store.views import VIEW_SPECS

AGENT_BY_NAME = "SELECT * FROM agents WHERE name = :name"
REVISION = "SELECT version_num FROM alembic_version"
BUSY_SECONDS = 1.0  # a writer holding the store this long: the store's own open waits


def first_look(
    target: str, actor: str, view: View, *, limit: int, green_window: timedelta
) -> FirstLook | None:
    """The agent `actor` and the first `limit` tickets of `view` in the store at `target`
    (a path or a sqlite:/// URL), or None when there is no quick look to be had."""
    check_limit(limit)
    path = sqlite_path(normalise_url(target))
    spec = VIEW_SPECS[view]
    if path is None or spec.extra is not None or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(
            f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=BUSY_SECONDS
        )
    except sqlite3.Error:
        return None
    try:
        if conn.execute(REVISION).fetchall() != [(HEAD_REVISION,)]:
            return None
        cur = conn.execute(AGENT_BY_NAME, {"name": actor})
        found = cur.fetchone()
        if found is None:
            return None
        names = [d[0] for d in cur.description]
        agent = R.agent_from_mapping(dict(zip(names, found, strict=True)))
        rows = conn.execute(page_sql(spec, after=False, dialect="sqlite"), {"n": limit + 1})
        page = page_of(rows.fetchall(), spec, limit=limit, green_window=green_window)
    except (sqlite3.Error, ValueError, KeyError):  # an odd row: the store will say why
        return None
    finally:
        conn.close()
    return FirstLook(agent=agent, view=view, page=page)
