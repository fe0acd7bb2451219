"""The console when its team server goes away mid-shift and comes back: what the agent
sends meanwhile is kept on disk, the status bar says so, and it is sent exactly once when
the server is back (its Idempotency-Key makes a repeated attempt harmless)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cstui.console import app as console_app
from cstui.console.ticket import TicketPane
from cstui.domain.model import MessageKind
from cstui.domain.rules import Rules
from cstui.remote.http_store import HttpStore
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import SqlStore, open_store
from tests.console.conftest import AppFactory, fixed_clock
from tests.pilots import settle, until
from tests.serving import ThreadServer, loopback_socket


@pytest.fixture
def backend() -> str:
    return "server"  # this module runs its own server, below


def replies(store: SqlStore, ticket_id: int, text: str) -> int:
    return sum(
        1 for m in store.messages(ticket_id) if m.kind is MessageKind.REPLY and m.body == text
    )


async def test_a_reply_sent_while_the_server_is_down_goes_out_once_it_is_back(
    make_app: AppFactory, world: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_app, "OUTBOX_EVERY", 0.2)
    served = open_store(str(world), rules=Rules(), clock=fixed_clock)
    token = served.issue_token("agent01")
    first = ThreadServer(create_app(served, ServerOptions(rate_per_second=0)))
    port, url = first.sock.getsockname()[1], first.url
    app = make_app()
    app.open_store = lambda: HttpStore(url, token)
    text = "已为您补发单号稍后短信通知"
    async with app.run_test(size=(120, 40)) as pilot:
        with first:
            await settle(pilot)
            ticket_id = app.query_one(TicketPane).ticket.id
            await pilot.press("t")
            await settle(pilot)
        # The server is gone; the agent answers anyway.
        await pilot.press("r", *text, "ctrl+s")
        await settle(pilot)
        assert replies(store, ticket_id, text) == 0
        assert app.outbox.count() == 1
        assert not app.query_one(TicketPane).composer.is_open
        status = str(app.query_one(console_app.StatusBar).render())
        assert "1 unsent" in status and "unreachable" in status
        # Back on the same address: the outbox empties by itself.
        with ThreadServer(create_app(served, ServerOptions(rate_per_second=0)), port=port):
            await until(pilot, lambda: app.outbox.count() == 0)
            assert app.outbox.count() == 0
            assert replies(store, ticket_id, text) == 1, app.notices
            app._flush_outbox()  # nothing left to send twice
            await settle(pilot)
            assert replies(store, ticket_id, text) == 1
            assert "unsent" not in str(app.query_one(console_app.StatusBar).render())
    served.close()


async def test_the_console_opens_with_the_server_down_and_fills_in_when_it_is_up(
    make_app: AppFactory, world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent who starts the console before the server is up (a reboot, a deploy) gets a
    console that says so, then its queue and name as soon as the server answers."""
    monkeypatch.setattr(console_app, "COUNTS_EVERY", 0.2)
    served = open_store(str(world), rules=Rules(), clock=fixed_clock)
    token = served.issue_token("agent01")
    probe = loopback_socket()
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there until the server starts, below
    app = make_app()
    app.open_store = lambda: HttpStore(f"http://127.0.0.1:{port}", token)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        status = str(app.query_one(console_app.StatusBar).render())
        assert "unreachable" in status
        assert len(app.queue.window) == 0 and app.agent is None
        with ThreadServer(create_app(served, ServerOptions(rate_per_second=0)), port=port):
            await until(pilot, lambda: bool(len(app.queue.window)) and app.agent is not None)
            assert len(app.queue.window) > 0
            assert app.agent is not None and app.agent.name == "agent01"
            assert "unreachable" not in str(app.query_one(console_app.StatusBar).render())
    served.close()
