"""How uvicorn runs the app: a clean answer to a request too big to read, and an access log
that names paths only.

`uvicorn_config` is the one way to serve the app (`cstui serve`, and the tests' servers):

- A request whose line and headers outgrow `HEAD_LIMIT` gets 414 (a long URL) or 431 (long
  headers) in the API's JSON error shape. uvicorn's own answer is a plain-text 400 followed
  by an immediate close, which, with the rest of a long URL still arriving, makes the kernel
  reset the connection: the client never reads the answer. Here the rest of the request is
  read and dropped (for a few seconds at most) before the connection closes.
- The access log is one line per request: client, method, path, status and how long the
  answer took, under the request's id (`cstui.server.logs`), with the path as sent
  (percent-encoded, so no control character from a URL reaches a terminal) and never its
  query string, where a searched phone number would be.
"""

from __future__ import annotations

import http
import logging
import sys
import time
from typing import Any

import h11
import pydantic_core
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from cstui.server.logs import REQUEST_ID, LogFormat, log_config, request_id

# How many bytes a request's line and headers may take (h11's own default, stated here so
# that the refusal can say it).
HEAD_LIMIT = 16 * 1024
# How long a refused request may keep sending before the connection is closed anyway.
DRAIN_SECONDS = 5.0

access_log = logging.getLogger("cstui.access")


def uvicorn_config(
    app: ASGIApp | str,
    *,
    log_level: str = "info",
    log_format: LogFormat = "text",
    **options: Any,
) -> uvicorn.Config:
    """The uvicorn config for serving `app`; `options` are passed on to uvicorn.

    `app` may be the import path of a factory (`module:function`) that returns the app
    already wrapped in `AccessLog`: what worker processes (`workers=N`) load.
    """
    if isinstance(app, str):
        options["factory"] = True
    else:
        app = AccessLog(app)
    return uvicorn.Config(
        app,
        http=RefusingProtocol,
        h11_max_incomplete_event_size=HEAD_LIMIT,
        log_config=log_config(log_level, log_format),
        log_level=log_level,
        access_log=False,  # uvicorn's would log query strings: `AccessLog` writes ours
        lifespan="off",
        **options,
    )


class AccessLog:
    """ASGI middleware: the request's id (in and out), and one access-log line per HTTP
    request once its status is known."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(_header(scope, b"x-request-id"))
        token = REQUEST_ID.set(rid)
        started = time.perf_counter()
        logged = False

        def log(status: int) -> None:
            nonlocal logged
            logged = True
            if not access_log.isEnabledFor(logging.INFO):
                return
            client = scope.get("client")
            address = f"{client[0]}:{client[1]}" if client else "-"
            path = logged_path(scope)
            ms = round((time.perf_counter() - started) * 1000, 1)
            fields = {"client": address, "method": scope["method"], "path": path}
            access_log.info(
                '%s - "%s %s" %d %.1f ms',
                address,
                scope["method"],
                path,
                status,
                ms,
                extra={**fields, "status": status, "ms": ms},
            )

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
                log(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        finally:
            if not logged:  # it failed before answering: uvicorn answers 500
                log(500)
            REQUEST_ID.reset(token)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def logged_path(scope: Scope) -> str:
    """The path as the client sent it (percent-encoded ASCII), without the query string."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("ascii", "backslashreplace")
    return str(scope.get("path", ""))


class RefusingProtocol(H11Protocol):
    """uvicorn's h11 protocol, with the refusal of an unreadable request described above."""

    draining = False

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this from its `except h11.RemoteProtocolError:` only, so the error
        # it is answering is the one being handled.
        status, message = refusal(sys.exc_info()[1], self.conn.trailing_data[0])
        body = pydantic_core.to_json({"error": message, "kind": "bad_input"})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        reason = http.HTTPStatus(status).phrase.encode()
        try:
            for event in (
                h11.Response(status_code=status, headers=headers, reason=reason),
                h11.Data(data=body),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event))
        except h11.LocalProtocolError:  # an answer had started already: nothing to add
            self.transport.close()
            return
        # Read and drop what is still coming instead of closing on it (which would reset
        # the connection), until the client hangs up or `DRAIN_SECONDS` have passed.
        self.draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(DRAIN_SECONDS, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if not self.draining:
            super().data_received(data)


def refusal(exc: BaseException | None, unread: bytes) -> tuple[int, str]:
    """The status and message for a request h11 could not read (`unread`: its bytes)."""
    limit = f"a request's line and headers may take at most {HEAD_LIMIT // 1024} KB"
    if isinstance(exc, h11.RemoteProtocolError) and exc.error_status_hint == 431:
        if b"\n" not in unread:
            return 414, f"the URL is too long: {limit}"
        return 431, f"the request headers are too large: {limit}"
    return 400, "malformed HTTP request"
