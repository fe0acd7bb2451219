"""Suggested answers over HTTP: the HTTP store gets what the SQL store gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cstui.demo.knowledge import load_knowledge
from cstui.domain.model import Role
from cstui.errors import BadInput, NotFound
from cstui.remote.http_store import HttpStore
from cstui.seed import DEFAULT_NOW, seed_store
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import init_store
from cstui.store.sql import SqlStore
from tests.serving import ThreadServer


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqlStore, HttpStore, str]]:
    path: Path = tmp_path_factory.mktemp("suggest") / "world.db"
    sql = init_store(str(path), clock=lambda: DEFAULT_NOW)
    seed_store(sql, tickets=30, seed=5, workers=1)
    load_knowledge(sql, None, seed=5)
    sql.add_agent("reader", Role.AGENT)
    token = sql.issue_token("reader")
    with ThreadServer(create_app(sql, ServerOptions(rate_per_second=0))) as server:
        http = HttpStore(server.url, token)
        yield sql, http, server.url
        http.close()
    sql.close()


def test_ticket_and_text_suggestions_alike(both: tuple[SqlStore, HttpStore, str]) -> None:
    sql, http, _ = both
    for ticket_id in (1, 7, 19):
        assert http.suggest(ticket_id) == sql.suggest(ticket_id)
    text = "我的快递到哪了？？SO20261102004512 发票也要"
    got = http.suggest(text=text, limit=5)
    assert got == sql.suggest(text=text, limit=5)
    assert len(got.items) == 5 and got.triage.orders == ("SO20261102004512",)
    assert got.triage.runner_up is not None


def test_the_wire_shape(both: tuple[SqlStore, HttpStore, str]) -> None:
    sql, _, url = both
    token = sql.issue_token("reader")
    with httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}) as c:
        body = c.get("/tickets/3/suggestions").json()
        assert {"category", "priority", "risk", "items", "triage"} <= set(body)
        assert set(body["items"][0]) >= {"id", "title", "kind", "score"}
        assert c.get("/suggestions", params={"text": ""}).status_code == 422
        assert c.get("/suggestions", params={"text": "x", "limit": 11}).status_code == 422
        assert c.get("/tickets/3/suggestions", headers={"Authorization": ""}).status_code == 401


def test_errors_come_back_as_the_store_raises_them(both: tuple[SqlStore, HttpStore, str]) -> None:
    _, http, _ = both
    with pytest.raises(NotFound):
        http.suggest(99_999)
    with pytest.raises(BadInput):
        http.suggest()
