"""The write routes on tickets are the table of commands': no route without its line, no
line without its route, and none written by hand beside them."""

from __future__ import annotations

from typing import Any

from fastapi.routing import iter_route_contexts

from cstui import commands as K
from cstui.server import commands as server_commands
from cstui.server.app import create_app

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Where the work on tickets lives: a write route here is a command.
TICKET_WORK = ("/tickets", "/escalations/", "/transfers/")


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
        if key[1].startswith(TICKET_WORK)
    }
    table = set(K.routes())
    assert sorted(set(served) - table) == [], "write routes on tickets without a line"
    assert sorted(table - set(served)) == [], "lines without a route"
    for key, endpoint in served.items():
        assert endpoint.__module__ == server_commands.__name__, f"{key}: by hand"


def test_the_derived_router_has_only_the_table() -> None:
    assert set(write_routes(server_commands.router.routes)) == set(K.routes())
