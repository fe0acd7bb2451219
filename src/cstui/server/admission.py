"""What a request must be before any route sees it: a UTF-8 URL and a body of bounded size.

Starlette decodes a URL's bytes with U+FFFD for what is not UTF-8 (a lone surrogate, sent
as `%ED%A0%80`, is such bytes) and goes on; here such a URL is refused (400) instead, so no
route acts on text that is not what the client sent. A body is refused (413) as soon as its
Content-Length or its bytes pass `MAX_BODY_BYTES` (`upload_bytes` on the routes that take
files, `upload_paths`), and is never held in memory whole.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cstui.server.responses import JSONResponse

# The largest body the API takes, an article of 50,000 characters, is under 600 KB even
# with every character JSON-escaped.
MAX_BODY_BYTES = 2 * 1024 * 1024


class Admission:
    """ASGI middleware: the checks above, answered in the API's JSON error shape."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        upload_paths: re.Pattern[str] | None = None,
        upload_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.upload_paths = upload_paths
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = url_problem(scope)
        if problem is not None:
            await JSONResponse({"error": problem, "kind": "bad_input"}, 400)(scope, receive, send)
            return
        limit = MAX_BODY_BYTES
        if self.upload_paths is not None and self.upload_paths.fullmatch(scope["path"]):
            limit = self.upload_bytes
        await self.app(scope, limited(receive, Headers(scope=scope), limit), send)


def url_problem(scope: Scope) -> str | None:
    """What is wrong with the request's URL, or None: its path and query must be UTF-8."""
    for part, raw in (("path", scope.get("raw_path", b"")), ("query", scope["query_string"])):
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"URL: the {part} is not UTF-8 once percent-decoded (byte {exc.start})"
    return None


def limited(receive: Receive, headers: Headers, limit: int = MAX_BODY_BYTES) -> Receive:
    """`receive`, raising 413 (answered by the app's error handlers) once the body is too big.

    FastAPI's own `max_body_size` answers in plain text, whatever the error handlers say.
    """
    declared = headers.get("content-length", "")
    declared_too_big = declared.isascii() and declared.isdigit() and int(declared) > limit
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        if declared_too_big:
            raise too_large(limit)
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
        return message

    return limited_receive


def too_large(limit: int = MAX_BODY_BYTES) -> HTTPException:
    return HTTPException(413, f"body: larger than {limit // 2**20} MB")
