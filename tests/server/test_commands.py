"""The write routes on tickets are the table of commands': no route without its line, no
line without its route, and none written by hand beside them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import and_, or_

from cstui import commands as K
from cstui import wire as W
from cstui.domain import commands as C
from cstui.domain import rights
from cstui.domain.model import Category, Channel, Ticket
from cstui.errors import BadInput, PermissionDenied
from cstui.remote.http_store import HttpStore
from cstui.server import commands as server_commands
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import init_store, queue
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.commands import HANDLERS
from cstui.store.schema import LINKS
from cstui.store.tx import Tx
from tests.serving import ThreadServer, add_team

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Where the work on tickets lives: a write route here is a command.
TICKET_WORK = ("/tickets", "/escalations/", "/transfers/")
# A write route there written by hand instead, each with why (none today).
BY_HAND: set[tuple[str, str]] = set()


def write_routes(routes: list[Any]) -> dict[tuple[str, str], Any]:
    """(method, declared path) → endpoint of every write route."""
    found = {}
    for context in iter_route_contexts(routes):
        for method in (context.methods or set()) & WRITES:
            declared = str(getattr(context.original_route, "path", context.path))
            found[(method, declared)] = getattr(context.original_route, "endpoint", None)
    return found


def test_every_write_route_on_tickets_is_a_line_of_the_table() -> None:
    app = create_app(None)  # type: ignore[arg-type]  # routes only: no request is served
    served = {
        key: route
        for key, route in write_routes(app.routes).items()
        if key[1].startswith(TICKET_WORK) and key not in BY_HAND
    }
    table = set(K.routes())
    assert sorted(set(served) - table) == [], "write routes on tickets without a line"
    assert sorted(table - set(served)) == [], "lines without a route"
    for key, endpoint in served.items():
        assert endpoint.__module__ == server_commands.__name__, f"{key}: by hand"


def test_the_derived_router_has_only_the_table() -> None:
    assert set(write_routes(server_commands.write_router().routes)) == set(K.routes())


# -- a new write in four places ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Unlink(C.Command[Ticket]):  # 1. the command class
    ticket_id: int
    actor: str
    other: int

    def check(self) -> None:  # 2. its domain rule (pure)
        if self.other == self.ticket_id:
            raise BadInput("other: a ticket is not linked to itself")


def unlink(tx: Tx, cmd: Unlink) -> Ticket:  # 3. its store handler
    a, b = cmd.ticket_id, cmd.other
    both = or_(
        and_(LINKS.c.ticket_id == a, LINKS.c.other_id == b),
        and_(LINKS.c.ticket_id == b, LINKS.c.other_id == a),
    )
    tx.conn.execute(LINKS.delete().where(both))
    return queue.get_ticket(tx, ticket_id=a, with_messages=False)


# 4. its line in the table
UNLINK = K.Op(Unlink, "POST", "/tickets/{ticket_id}/unlink", W.TicketPublic, rights.LINK)


@pytest.fixture
def with_unlink(monkeypatch: pytest.MonkeyPatch) -> None:
    """The four places, added for this test only (the tables are restored after it)."""
    monkeypatch.setattr(K, "WRITES", (*K.WRITES, UNLINK))
    monkeypatch.setitem(K.OPS, Unlink, UNLINK)
    monkeypatch.setitem(HANDLERS, Unlink, unlink)
    monkeypatch.setattr(rights, "ROUTES", dict(rights.ROUTES))
    K.learn_rights((UNLINK,))


@pytest.mark.usefixtures("with_unlink")
def test_a_new_write_needs_its_command_rule_handler_and_line(tmp_path: Path) -> None:
    """Its route, body, OpenAPI entry, rights check and HTTP store call all follow."""
    store = init_store(str(tmp_path / "unlink.db"))
    tokens = add_team(store)
    customer = store.add_customer(NewCustomer("张三"))
    new = NewTicket(customer.id, "退款", "body", Channel.CHAT, Category.REFUND)
    first, second = store.create_ticket(new).id, store.create_ticket(new).id
    store.take(first, actor="alice")
    store.link_tickets(first, second, actor="alice")
    with ThreadServer(create_app(store, ServerOptions(rate_per_second=0))) as server:
        doc = httpx.get(f"{server.url}/openapi.json").json()
        route = doc["paths"]["/api/v1/tickets/{ticket_id}/unlink"]["post"]
        assert route["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/UnlinkIn"
        }
        assert doc["components"]["schemas"]["UnlinkIn"]["required"] == ["other"]
        bob = HttpStore(server.url, tokens["bob"])
        with pytest.raises(PermissionDenied):  # the rights table knows the route
            bob.execute(Unlink(ticket_id=first, actor="bob", other=second))
        alice = HttpStore(server.url, tokens["alice"])
        with pytest.raises(BadInput, match="not linked to itself"):
            alice.execute(Unlink(ticket_id=first, actor="alice", other=first))
        assert alice.execute(Unlink(ticket_id=first, actor="alice", other=second)).links == ()
        bob.close()
        alice.close()
    assert store.get_ticket(second).links == ()
    store.close()
