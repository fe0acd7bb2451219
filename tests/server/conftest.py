"""A real server on loopback for the API tests: one per module, on a seeded SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cstui.domain.model import Category, Channel, GoodsType
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import init_store
from cstui.store.base import NewCustomer, NewOrder, NewTicket
from cstui.store.sql import SqlStore
from tests.serving import ThreadServer, add_team


@dataclass
class Served:
    url: str
    store: SqlStore
    tokens: dict[str, str]

    def client(self, who: str | None) -> httpx.Client:
        """An API client as `who` (None: no token at all)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        # verify=False: plain http on loopback, and no CA bundle to load (~25 ms a client)
        return httpx.Client(
            base_url=f"{self.url}/api/v1", headers=headers, timeout=10, verify=False
        )

    def new_ticket(self, subject: str = "退款没到账") -> int:
        customer = self.store.add_customer(NewCustomer("张三", phone="13800001234"))
        number = f"SO{customer.id:08d}"
        self.store.add_order(NewOrder(number, customer.id, 99.0, GoodsType.GENERAL))
        new = NewTicket(
            customer.id, subject, "body", Channel.CHAT, Category.REFUND, order_number=number
        )
        return self.store.create_ticket(new).id


def serve_store(target: Path | str, options: ServerOptions) -> Iterator[Served]:
    """A store (a SQLite path or a database URL) with the team, served on loopback."""
    store = init_store(str(target))
    tokens = add_team(store)
    with ThreadServer(create_app(store, options)) as server:
        yield Served(server.url, store, tokens)
    store.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server with the rate limit off (the 429 test makes its own)."""
    yield from serve_store(
        tmp_path_factory.mktemp("api") / "api.db", ServerOptions(rate_per_second=0)
    )
