"""The server's live feed (`GET /events`, server-sent events) read as the log's new events.

One stream stays open; a dropped one is opened again from the last event it carried
(`Last-Event-ID`), so nothing written meanwhile is missed. Comment lines (the opening one,
the keep-alive sent when nothing was written for a while) are the quiet moments a reader
may stop at.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx

from cstui import wire as W
from cstui.domain.model import Event

RECONNECT_SECONDS = 2.0


def live_events(client: httpx.Client, closed: Callable[[], bool]) -> Iterator[Event | None]:
    """Each new event as it is written (`notification` events are not the log's and are
    left out), None at each quiet moment, until `closed()`."""
    last: int | None = None
    while not closed():
        headers = {} if last is None else {"Last-Event-ID": str(last)}
        try:
            with client.stream("GET", "/events", headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
                    yield None
                    time.sleep(RECONNECT_SECONDS)
                    continue
                for item in _read(response.iter_lines()):
                    if item is not None:
                        last = item.id
                    yield item
        except (httpx.HTTPError, RuntimeError):  # dropped, or the client closed under it
            if closed():
                return
            yield None
            time.sleep(RECONNECT_SECONDS)


def _read(lines: Iterator[str]) -> Iterator[Event | None]:
    kind, data = "", ""
    for line in lines:
        if line.startswith(":"):
            yield None
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line:
            if data and kind != "notification":
                yield W.EventPublic.model_validate_json(data, extra="ignore").to_domain()
            kind, data = "", ""
