"""The team server's logs: each line with its time (UTC), level and request id, as text or
as JSON (one object a line, for a log shipper).

The request id is the client's `X-Request-ID` when it sent a usable one, else a new one; it
is answered in the same header and carried by every line logged while the request runs
(`REQUEST_ID`, a context variable, which FastAPI copies into the threads that run endpoints).

What the server logs names no customer: the access log has paths (ids) but no query string,
and the store's errors carry no ticket text. Text lines are made inert: a control character
from a path or a mail header is shown, never acted on by a terminal.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from cstui.domain.display import inert

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")

REQUEST_ID: ContextVar[str | None] = ContextVar("cstui_request_id", default=None)
REQUEST_ID_HEADER = "x-request-id"
# A client's id is kept when it is short and plain (a proxy's UUID or hex id); anything else
# is replaced, so a header cannot smuggle text or a line break into the logs.
_USABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# What the access log adds to a record (`extra=`), written as fields of a JSON line.
ACCESS_FIELDS = ("client", "method", "path", "status", "ms")


def request_id(sent: bytes | None) -> str:
    """The client's id when usable, else a new random one."""
    if sent:
        text = sent.decode("latin-1")
        if _USABLE_ID.fullmatch(text):
            return text
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or "-") on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


def _utc_time(record: logging.LogRecord) -> str:
    at = datetime.fromtimestamp(record.created, UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2026-12-06T19:50:01.123Z INFO [id] cstui.access: message`, made inert."""

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", "-")
        message = inert(record.getMessage())
        line = f"{_utc_time(record)} {record.levelname} [{rid}] {record.name}: {message}"
        if record.exc_info:
            trace = self.formatException(record.exc_info).splitlines()
            line += "".join(f"\n{inert(part)}" for part in trace)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id (and the access
    log's fields). `json.dumps` escapes every control character."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "-")
        if rid != "-":
            entry["request_id"] = rid
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_config(level: str, log_format: LogFormat = "text") -> dict[str, Any]:
    """The logging setup of a server process (`logging.config.dictConfig`): uvicorn's own
    messages and every `cstui.*` logger to stderr, the access log to stdout."""
    formatter = "json" if log_format == "json" else "text"
    upper = level.upper()
    min_info = "DEBUG" if upper == "DEBUG" else "INFO"

    def handler(stream: str) -> dict[str, Any]:
        return {
            "class": "logging.StreamHandler",
            "formatter": formatter,
            "filters": ["request_id"],
            "stream": f"ext://sys.{stream}",
        }

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {
            "text": {"()": f"{__name__}.TextFormatter"},
            "json": {"()": f"{__name__}.JsonFormatter"},
        },
        "handlers": {"default": handler("stderr"), "access": handler("stdout")},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "uvicorn.access": {"handlers": [], "propagate": False},
            # The channel workers' and the sweeper's own news (a mailbox taken over, mail
            # sent) at INFO whatever uvicorn's level: they are rare and worth having.
            "cstui": {"handlers": ["default"], "level": min_info, "propagate": False},
            "cstui.access": {"handlers": ["access"], "level": upper, "propagate": False},
        },
    }
