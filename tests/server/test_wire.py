"""The OpenAPI schema names every field the server sends, and the server sends only those.

Two halves: the schema itself forbids unnamed fields everywhere a response can reach (so a
model left loose, or a free-form dict, fails here), and every route's real answers (one
valid request per route, from the rights matrix, sent as the owner, an admin and another
agent, so successes and refusals both) are checked against it with schemathesis' own
response validation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.core.failures import Failure, FailureGroup

from cstui import wire as W
from cstui.domain.model import ArticleKind
from tests.server.conftest import Served
from tests.server.test_rights import OWNER, ROUTE_PATHS, SAMPLES, TEMPLATE, Call, World

# Pages for people (FastAPI's own, outside the schema) and the endless live feed, whose
# events are the log's (checked below as `/events/log`).
UNCHECKED = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/events"),
    # the customer's survey page: HTML for people, outside the API's schema
    ("GET", "/csat/{token}"),
    ("POST", "/csat/{token}"),
}
# Free-form by design: an event's payload is its kind's own, and a 422 quotes the input.
FREE_FORM = {
    ("EventPublic", "old"),
    ("EventPublic", "new"),
    ("InputError", "input"),
    ("InputError", "ctx"),
}
CALLERS = ("alice", "ops", "bob")  # the owner, an admin, another agent


@pytest.fixture(scope="module")
def doc(served: Served) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{served.url}/openapi.json").json()
    return found


@pytest.fixture(scope="module")
def api(doc: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_dict(doc)


@pytest.fixture(scope="module")
def world(served: Served) -> World:
    return World(served.store)


@pytest.fixture(scope="module")
def clients(served: Served) -> Iterator[dict[str, httpx.Client]]:
    served.store.add_article(
        title="问候", body="您好，{name}", kind=ArticleKind.TEMPLATE, tags=[TEMPLATE], actor=OWNER
    )
    opened = {
        who: httpx.Client(
            base_url=served.url,
            headers={"Authorization": f"Bearer {served.tokens[who]}"},
            timeout=10,
            verify=False,
        )
        for who in CALLERS
    }
    yield opened
    for client in opened.values():
        client.close()


# -- the schema ----------------------------------------------------------------------------


def test_every_object_a_response_can_carry_names_its_fields(doc: dict[str, Any]) -> None:
    loose: list[str] = []
    untyped: list[str] = []
    for path, methods in doc["paths"].items():
        for method, spec in methods.items():
            for status, answer in spec["responses"].items():
                where = f"{method.upper()} {path} {status}"
                for media, content in answer.get("content", {}).items():
                    if media == "application/json":
                        if not content.get("schema"):
                            untyped.append(where)
                        else:
                            loose += loose_objects(doc, content["schema"], where, set())
    assert not untyped, f"JSON answers without a schema: {untyped}"
    assert not loose, "objects that allow fields the schema does not name:\n" + "\n".join(loose)


def loose_objects(doc: dict[str, Any], node: Any, where: str, seen: set[str]) -> list[str]:
    """Every object schema under `node` that lets an unnamed field through."""
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return loose_objects(doc, doc["components"]["schemas"][name], name, seen)
    found = []
    if node.get("type") == "object":
        extra = node.get("additionalProperties", True)
        if "properties" in node and extra is not False:
            found.append(f"{where}: fields beyond {sorted(node['properties'])} allowed")
        if "properties" not in node and not (isinstance(extra, dict) and extra):
            found.append(f"{where}: an object of any fields")
    for name, field in node.get("properties", {}).items():
        if (where, name) not in FREE_FORM:
            found += loose_objects(doc, field, where, seen)
    for key in ("items", "additionalProperties"):
        found += loose_objects(doc, node.get(key), where, seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for part in node.get(key, []):
            found += loose_objects(doc, part, where, seen)
    return found


def test_a_loose_schema_would_be_caught(doc: dict[str, Any]) -> None:
    """The walk above finds what it looks for: a model that allows extras, a bare dict."""
    loosened = json.loads(json.dumps(doc))
    del loosened["components"]["schemas"]["CustomerSummary"]["additionalProperties"]
    ticket = {"$ref": "#/components/schemas/TicketPublic"}
    assert loose_objects(loosened, ticket, "test", set()) == [
        "CustomerSummary: fields beyond ['annual_spend', 'complaint_count', 'id', 'name', "
        "'order_count', 'tier'] allowed"
    ]
    assert loose_objects(doc, {"type": "object"}, "test", set()) == [
        "test: an object of any fields"
    ]


# -- the answers ---------------------------------------------------------------------------


def test_every_route_answers_with_what_its_schema_names(
    world: World, api: Any, doc: dict[str, Any], clients: dict[str, httpx.Client]
) -> None:
    failures: list[str] = []
    answered: set[tuple[str, str]] = set()
    for key in sorted(set(SAMPLES) - UNCHECKED):
        for who in CALLERS:
            response = send(clients[who], key, SAMPLES[key](world))
            failures += conformance(api, doc, key, response, who)
            if response.is_success:
                answered.add(key)
    assert not failures, "\n".join(failures)
    assert sorted(set(SAMPLES) - UNCHECKED - answered) == [], "routes never answered 2xx"


def test_the_other_shapes_of_an_answer_are_named_too(
    world: World, api: Any, doc: dict[str, Any], clients: dict[str, httpx.Client]
) -> None:
    """What the samples do not reach: a ticket without its thread, a hit with and without
    a match, a transfer that moved the ticket at once, a lost take, a 422's detail."""
    ticket, unowned = world.ticket(), world.ticket(owned=False)
    cases: list[tuple[str, tuple[str, str], Call]] = [
        ("alice", ("GET", "/tickets/{ticket_id}"), Call({"ticket_id": ticket}, {"messages": 0})),
        ("alice", ("GET", "/tickets/search"), Call(query={"q": "退款"})),
        ("alice", ("GET", "/tickets/search"), Call(query={"q": "status:open"})),
        ("alice", ("GET", "/kb/search"), Call(query={"q": "退款", "fast": True})),
        ("ops", ("POST", "/tickets/{ticket_id}/transfer"), transfer(ticket)),
        ("bob", ("POST", "/tickets/{ticket_id}/take"), Call({"ticket_id": ticket})),
        ("alice", ("GET", "/tickets"), Call(query={"limit": 0})),
        ("alice", ("POST", "/tickets/{ticket_id}/take"), Call({"ticket_id": unowned})),
    ]
    failures: list[str] = []
    statuses = []
    for who, key, call in cases:
        response = send(clients[who], key, call)
        statuses.append(response.status_code)
        failures += conformance(api, doc, key, response, who)
    assert not failures, "\n".join(failures)
    assert statuses == [200, 200, 200, 200, 200, 409, 422, 200]


def test_an_unnamed_field_in_an_answer_fails_the_check(
    world: World, api: Any, doc: dict[str, Any], clients: dict[str, httpx.Client]
) -> None:
    key = ("GET", "/tickets/{ticket_id}")
    response = send(clients["alice"], key, Call({"ticket_id": world.ticket()}))
    assert conformance(api, doc, key, response, "alice") == []
    body = {**response.json(), "surprise": 1}
    tampered = httpx.Response(
        200, json=body, request=response.request, headers={"content-type": "application/json"}
    )
    tampered.elapsed = response.elapsed
    assert "surprise" in " ".join(conformance(api, doc, key, tampered, "alice"))


def test_the_event_window_lines_are_events(world: World, clients: dict[str, httpx.Client]) -> None:
    """JSON Lines have no schema in OpenAPI 3.1: each line is checked against the model."""
    world.ticket()
    key = ("GET", "/events/window")
    response = send(clients["ops"], key, SAMPLES[key](world))
    lines = response.text.splitlines()
    assert response.status_code == 200 and lines
    for line in lines:
        W.EventPublic.model_validate_json(line)


def transfer(ticket_id: int) -> Call:
    return Call({"ticket_id": ticket_id}, json={"to": "carol", "reason": "换班"})


def send(client: httpx.Client, key: tuple[str, str], call: Call) -> httpx.Response:
    url = ROUTE_PATHS[key].format(**call.path)
    return client.request(
        key[0], url, params=call.query, json=call.json, content=call.content, headers=call.headers
    )


def conformance(
    api: Any, doc: dict[str, Any], key: tuple[str, str], response: httpx.Response, who: str
) -> list[str]:
    """What is wrong with an answer: a status the route does not document, or a body that
    is not what the schema says for that status (schemathesis' own check)."""
    method, template = key[0], ROUTE_PATHS[key]
    where = f"{who} → {method} {template}: {response.status_code}"
    documented = doc["paths"][template][method.lower()]["responses"]
    if str(response.status_code) not in documented:
        return [f"{where}: status not in the schema ({response.text[:200]})"]
    try:
        api[template][method].validate_response(response)
    except FailureGroup as group:
        return [f"{where}: {failure.title}: {failure.message}" for failure in group.exceptions]
    except Failure as failure:
        return [f"{where}: {failure.title}: {failure.message}"]
    return []
