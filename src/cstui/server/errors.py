"""Every error the API sends: a status code and one JSON body, never a 500 for bad input.

The body is `{"error": message, "kind": name}` (plus `owner` on a lost take): `kind` lets
the HTTP store raise the very `cstui.errors` class the SQL store raised, so a script gets
the same exit code whichever store it talks to. The message is one line: what it quotes of
a request (a name from a path, a key from a body) has its control characters and lone
surrogates spelled out (`\\x1b`, `\\ud800`).
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cstui.errors import Conflict, CstuiError, RateLimited
from cstui.server.responses import JSONResponse

log = logging.getLogger("cstui.server")


def kind_of(exc: CstuiError) -> str:
    """`AlreadyOwned` → `already_owned`: the class name, as the body's `kind`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def one_line(message: str) -> str:
    """`message` with every unprintable character (newlines, escapes, surrogates) spelled out."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def error_body(exc: CstuiError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": one_line(str(exc)), "kind": kind_of(exc)}
    if isinstance(exc, Conflict) and exc.owner is not None:
        body["owner"] = exc.owner
    return body


def error_headers(exc: CstuiError) -> dict[str, str]:
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    return {}


def error_response(exc: CstuiError) -> JSONResponse:
    return JSONResponse(error_body(exc), exc.http_status, headers=error_headers(exc))


async def _on_cstui_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CstuiError)
    if exc.http_status >= 500:
        log.warning("%s: %s", type(exc).__name__, exc)
    return error_response(exc)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own 422 `detail`, with the same one-line `error` as every other error."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ())) or "request"
    body = {
        "error": one_line(f"{where}: {first.get('msg', 'invalid')}"),
        "kind": "bad_input",
        "detail": jsonable_encoder(errors, custom_encoder={bytes: _printable}),
    }
    return JSONResponse(body, 422)


def _printable(value: bytes) -> str:
    return value.decode("utf-8", "replace")


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Routing errors (404 for an unknown path, 405), a body that is not JSON text (400) or
    too large (413), in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    kind = {404: "not_found", 405: "method_not_allowed"}.get(
        status, "bad_input" if 400 <= status < 500 else "error"
    )
    message = str(exc.detail)
    if isinstance(exc.__cause__, UnicodeDecodeError):
        message = f"body: not UTF-8 text (byte {exc.__cause__.start})"
    headers = dict(exc.headers or {})
    if status == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return JSONResponse({"error": one_line(message), "kind": kind}, status, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (Starlette names only the first route's)."""
    path = request.url.path
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods |= route.methods or set()
    return sorted(methods)


async def _on_data_error(_request: Request, exc: Exception) -> JSONResponse:
    """A value the database refuses (too long for its column, a NUL in text): bad input.

    Request bodies are checked first; this catches what slips through, e.g. in a query.
    """
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return JSONResponse(
        {"error": one_line(f"refused by the store: {first}"), "kind": "bad_input"}, 422
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its traceback, answered in the same JSON shape."""
    log.error("unexpected error", exc_info=exc)
    return JSONResponse({"error": "unexpected server error", "kind": "error"}, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CstuiError, _on_cstui_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(DataError, _on_data_error)
    app.add_exception_handler(Exception, _on_unexpected)
