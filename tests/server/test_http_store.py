"""The HTTP store reads what the SQL store reads: the same seeded world, side by side.

Tickets are compared as the JSON both serve (`ticket_dict`), everything else as the
store's own dataclasses, so a field lost or mistyped between server and client fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cstui.demo.knowledge import load_knowledge
from cstui.domain.model import Role
from cstui.remote.http_store import HttpStore
from cstui.seed import DEFAULT_NOW, seed_store
from cstui.serialize import ticket_dict
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import View, init_store
from cstui.store.sql import SqlStore
from tests.serving import ThreadServer


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqlStore, HttpStore]]:
    path: Path = tmp_path_factory.mktemp("world") / "world.db"
    sql = init_store(str(path), clock=lambda: DEFAULT_NOW)
    seed_store(sql, tickets=120, seed=3, workers=1)
    load_knowledge(sql, None, seed=3)
    sql.add_agent("auditor", Role.ADMIN)
    with ThreadServer(create_app(sql, ServerOptions(rate_per_second=0))) as server:
        http = HttpStore(server.url, sql.issue_token("auditor"))
        yield sql, http
        http.close()
    sql.close()


def test_every_view_pages_alike(both: tuple[SqlStore, HttpStore]) -> None:
    sql, http = both
    for view in View:
        actor = "auditor"
        assert http.count_tickets(view, actor=actor) == sql.count_tickets(view, actor=actor)
        cursor_sql = cursor_http = None
        for _ in range(3):
            a = sql.list_tickets(view, actor=actor, limit=7, cursor=cursor_sql)
            b = http.list_tickets(view, actor=actor, limit=7, cursor=cursor_http)
            assert [ticket_dict(t) for t in b.items] == [ticket_dict(t) for t in a.items]
            assert (a.next_cursor is None) == (b.next_cursor is None)
            cursor_sql, cursor_http = a.next_cursor, b.next_cursor
            if cursor_sql is None:
                break


def test_tickets_with_their_threads(both: tuple[SqlStore, HttpStore]) -> None:
    sql, http = both
    for ticket_id in (1, 17, 60, 119):
        a, b = sql.get_ticket(ticket_id), http.get_ticket(ticket_id)
        assert ticket_dict(b, messages=True) == ticket_dict(a, messages=True)
        assert b.messages == a.messages
        assert http.messages(ticket_id) == sql.messages(ticket_id)
        customer = a.customer.id
        assert [t.id for t in http.customer_tickets(customer)] == [
            t.id for t in sql.customer_tickets(customer)
        ]
        assert http.customer_orders(customer) == sql.customer_orders(customer)


def test_the_monitor_reads_alike(both: tuple[SqlStore, HttpStore]) -> None:
    sql, http = both
    assert http.queue_depth() == sql.queue_depth()
    assert http.green_board() == sql.green_board()
    assert http.waiting_escalations() == sql.waiting_escalations()
    assert http.agent_loads() == sql.agent_loads()
    assert http.pending_transfers() == sql.pending_transfers()
    assert http.list_agents() == sql.list_agents()


def test_the_log_and_the_export_alike(both: tuple[SqlStore, HttpStore]) -> None:
    sql, http = both
    assert list(http.events()) == list(sql.events())
    since = DEFAULT_NOW - timedelta(days=3)
    window = {"since": since, "until": DEFAULT_NOW}
    touched = list(sql.window_events(**window))
    assert touched and list(http.window_events(**window)) == touched
    assert list(http.events(ticket_id=5)) == list(sql.events(ticket_id=5))
    assert list(http.export_records()) == list(sql.export_records())


def test_knowledge_base_alike(both: tuple[SqlStore, HttpStore]) -> None:
    sql, http = both
    for query in ("退款", "refund", "物流 查询"):
        a, b = sql.search_articles(query, limit=5), http.search_articles(query, limit=5)
        assert a, query
        assert [(h.article_id, h.title, h.snippet, h.highlights) for h in b] == [
            (h.article_id, h.title, h.snippet, h.highlights) for h in a
        ]
        assert http.get_article(a[0].article_id) == sql.get_article(a[0].article_id)
    assert http.search_articles_unranked("退款", limit=3) == sql.search_articles_unranked(
        "退款", limit=3
    )
