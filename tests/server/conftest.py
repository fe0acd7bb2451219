"""A real server on loopback for the API tests: one per module, on a seeded SQLite store."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cstui.domain import signing
from cstui.domain.model import Category, Channel, GoodsType
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import init_store
from cstui.store.base import NewCustomer, NewOrder, NewTicket
from cstui.store.sql import SqlStore
from tests.serving import ThreadServer, add_team

# The secrets of the test servers' channels: chat and social take intake, app does not.
INTAKE_SECRET = b"intake-test-secret"
SURVEY_SECRET = b"survey-test-secret"


def channel_options(**kwargs: Any) -> ServerOptions:
    """Server options with the rate limit off and the test channels configured."""
    return ServerOptions(
        rate_per_second=0,
        intake_secrets={"chat": INTAKE_SECRET, "social": INTAKE_SECRET},
        survey_secret=SURVEY_SECRET,
        **kwargs,
    )


def signed(
    message: dict[str, Any] | bytes, *, at: float | None = None, secret: bytes = INTAKE_SECRET
) -> tuple[bytes, dict[str, str]]:
    """An intake body and the headers that sign it (at `at`, default now)."""
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    stamp = int(time.time() if at is None else at)
    return body, {**signing.headers(secret, stamp, body), "Content-Type": "application/json"}


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
    """A server with the rate limit off (the 429 test makes its own), and channels."""
    yield from serve_store(tmp_path_factory.mktemp("api") / "api.db", channel_options())
