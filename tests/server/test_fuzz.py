"""Fuzzing the API from its own OpenAPI schema (schemathesis) against a real server.

A few examples per operation, generated from `/openapi.json` and sent with an admin's
token: no request may get a 5xx, and every response must match what the schema promises
(status codes, content types, bodies). Then an explicit case per value the API takes —
every field of every JSON body, every query, path and header parameter — carrying what
Hypothesis never generates: a lone surrogate in text (it has no UTF-8 form), a number
beyond 64 bits for an integer. Kept small so the suite stays fast; raise `FUZZ_EXAMPLES`
to look harder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import positive_data_acceptance, unsupported_method

from cstui.server.deps import ServerOptions
from tests.conftest import pg_database
from tests.server.conftest import Served, serve_store

FUZZ_EXAMPLES = int(os.environ.get("CSTUI_FUZZ_EXAMPLES", "6"))
LIVE_FEED = "/api/v1/events"

# Every default check but two. "Schema-valid data is accepted": a cursor is opaque and a
# search query has its own syntax, so the schema cannot say which are valid; the server
# answers those with a 422 naming the field, which the other checks still vet. (A lone
# surrogate is a valid JSON-schema string too, and is refused.) "Undeclared methods get
# 405": Starlette matches `/tickets/count` to PATCH `/tickets/{ticket_id}` too (a 422) and
# lists one route's methods in Allow.
EXCLUDED = [positive_data_acceptance, unsupported_method]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A server on each backend: PostgreSQL refuses what SQLite lets through (lengths, NUL)."""
    options = ServerOptions(rate_per_second=0)
    if request.param == "sqlite":
        yield from serve_store(tmp_path_factory.mktemp("fuzz") / "fuzz.db", options)
        return
    with pg_database(f"cstui_test_fuzz_{os.getpid()}") as url:
        yield from serve_store(url, options)


@pytest.fixture(scope="module")
def api_schema(fuzzed: Served) -> Iterator[Any]:
    yield schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json")


@pytest.fixture(scope="module")
def session(fuzzed: Served) -> Iterator[requests.Session]:
    """One keep-alive session per server (closed before it stops): a new connection per
    request cost a tenth of the run."""
    with requests.Session() as shared:
        shared.trust_env = False  # no proxy lookup per request: the server is on loopback
        yield shared


schema = schemathesis.pytest.from_fixture("api_schema")


def admin(served: Served) -> dict[str, str]:
    return {"Authorization": f"Bearer {served.tokens['ops']}"}


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_responses_match_the_schema(
    case: Any, fuzzed: Served, session: requests.Session
) -> None:
    if case.path == LIVE_FEED:
        check_live_feed(case, admin(fuzzed), session)
        return
    case.call_and_validate(headers=admin(fuzzed), excluded_checks=EXCLUDED, session=session)


def check_live_feed(case: Any, headers: dict[str, str], session: requests.Session) -> None:
    """The live feed never ends: a stream that starts is checked by its headers, then closed."""
    kwargs = case.as_transport_kwargs(headers=headers)
    with session.request(**kwargs, stream=True, timeout=10) as response:
        if response.status_code == 200:
            assert response.headers["content-type"].startswith("text/event-stream")
            return
        case.validate_response(response, excluded_checks=EXCLUDED, headers=headers)


# -- lone surrogates and huge numbers ------------------------------------------------------

SURROGATE = "x\ud800y"
# A URL or a header cannot carry a lone surrogate as text: it arrives as the bytes that
# encoding it anyway gives (ED A0 80), which are not UTF-8 either.
SURROGATE_BYTES = SURROGATE.encode("utf-8", "surrogatepass")
SURROGATE_IN_PATH = "x%ED%A0%80y"
HUGE = 2**64  # beyond every integer column, PostgreSQL's bigint included


def test_lone_surrogates_and_huge_numbers_anywhere_get_a_4xx(
    api_schema: Any, fuzzed: Served, session: requests.Session
) -> None:
    failures = []
    cases = list(hostile_cases(api_schema))
    for where, case in cases:
        try:
            response = case.call_and_validate(
                headers=admin(fuzzed), excluded_checks=EXCLUDED, session=session, timeout=10
            )
            assert 400 <= response.status_code < 500, response.status_code
        except (Exception, BaseExceptionGroup) as exc:  # every failure is listed
            failures.append(f"{where}: {type(exc).__name__}: {exc}")
    assert len(cases) > 100  # the schema was read: bodies, queries, paths and headers
    assert not failures, "\n".join(failures)


def hostile_cases(api: Any) -> Iterator[tuple[str, Any]]:
    """For each value an operation takes, a case with a hostile one there and the rest of
    the request minimal and valid (the first of an enum, id 1)."""
    doc = api.raw_schema
    for path, methods in doc["paths"].items():
        for method, spec in methods.items():
            operation = api[path][method.upper()]
            for place, name, value in hostile_values(doc, spec):
                parts = minimal_request(doc, spec)
                parts[place][name] = value
                body = {} if parts["body"] is None else {"body": parts["body"]}
                case = operation.Case(
                    path_parameters=parts["path"],
                    query=parts["query"],
                    headers=parts["header"],
                    **body,
                )
                yield f"{method.upper()} {path} {place} {name}", case


def hostile_values(doc: dict[str, Any], spec: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(place, name, value): a lone surrogate for each text parameter and body field of an
    operation, a number beyond 64 bits for each integer one."""
    for p in spec.get("parameters", []):
        if p["name"].lower() == "authorization":
            continue
        if takes_text(doc, p["schema"]):
            yield p["in"], p["name"], SURROGATE_IN_PATH if p["in"] == "path" else SURROGATE_BYTES
        elif takes(doc, p["schema"], "integer"):
            yield p["in"], p["name"], str(HUGE)
    body = body_schema(spec)
    for name, field in resolve(doc, body or {}).get("properties", {}).items():
        field = resolve(doc, field)
        if takes_text(doc, field):
            yield "body", name, SURROGATE
        elif field.get("type") == "array" and takes_text(doc, field["items"]):
            yield "body", name, [SURROGATE]
        elif takes(doc, field, "integer"):
            yield "body", name, HUGE


def minimal_request(doc: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Path parameters, required queries and headers, and a body, each minimal."""
    parts: dict[str, Any] = {
        place: {
            p["name"]: minimal(doc, p["schema"])
            for p in spec.get("parameters", [])
            if p["in"] == place and p.get("required")
        }
        for place in ("path", "query", "header")
    }
    body = body_schema(spec)
    parts["body"] = None if body is None else minimal(doc, body)
    return parts


def body_schema(spec: dict[str, Any]) -> dict[str, Any] | None:
    content = spec.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return schema


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def takes(doc: dict[str, Any], node: dict[str, Any], kind: str) -> bool:
    """Whether a schema takes values of a JSON type (alone or in an `anyOf`)."""
    node = resolve(doc, node)
    return node.get("type") == kind or any(takes(doc, n, kind) for n in node.get("anyOf", []))


def takes_text(doc: dict[str, Any], node: dict[str, Any]) -> bool:
    return takes(doc, node, "string")


def minimal(doc: dict[str, Any], node: dict[str, Any]) -> Any:
    """A small valid value of a schema: the first of an enum, the minimum, required fields."""
    node = resolve(doc, node)
    if "anyOf" in node:
        return minimal(doc, node["anyOf"][0])
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type", "")
    if kind == "object":
        props = node.get("properties", {})
        return {name: minimal(doc, props[name]) for name in node.get("required", [])}
    return {
        "integer": node.get("minimum", 1),
        "number": node.get("minimum", 0),
        "boolean": False,
        "array": [],
        "string": "x",
    }.get(kind)
