"""The event log: live (`GET /events`, server-sent events), in pages, as metrics, exported.

The live feed reads the shared log (one poll of its end per process, see `watch.py`), so it
carries writes made through any server process on the same database; a client that
reconnects with `Last-Event-ID` misses nothing. The connected agent's new notifications
come in the same stream, as `notification` events, each just before the `automation` event
whose firing wrote it: they carry no id of their own, so a client that reconnects with the
automation's predecessor's id gets them again (the notification's own `id` tells a repeat).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event

from cstui import wire as W
from cstui.domain.automations import Notification
from cstui.domain.model import Event, EventKind
from cstui.errors import BadInput
from cstui.server import schemas as S
from cstui.server.deps import (
    MAX_BIGINT,
    AgentDep,
    ServerState,
    StoreDep,
    decimal_id,
    state_of,
)
from cstui.server.responses import JSONResponse

router = APIRouter(tags=["events"])

FEED_BATCH = 200
RETRY_MS = 2000


def resume_point(
    store: StoreDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_BIGINT)] = None,
) -> int:
    """Where the feed resumes: the Last-Event-ID header, `?after=`, or else the log's end.

    Fixed here, before the response starts: a client that has its headers back knows that
    every later write will reach it.
    """
    if last_event_id is not None and last_event_id.strip():
        resume = decimal_id(last_event_id.strip())
        if resume is None:
            raise BadInput(f"Last-Event-ID: not an event id: {last_event_id!r}")
        return resume
    return store.last_event_id() if after is None else after


EVENT_STREAM: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}
}
# A comment line: sent when a wait for new events ran out, so that no proxy closes the stream.
KEEPALIVE = b": ping\n\n"


@router.get("/events", response_class=StreamingResponse, responses=EVENT_STREAM)
async def live_events(
    request: Request, agent: AgentDep, start: Annotated[int, Depends(resume_point)]
) -> StreamingResponse:
    """Every event after Last-Event-ID (or from now on), as it is written."""
    # Streamed by hand, not by FastAPI's EventSourceResponse: its keep-alive task fails
    # (a traceback in the server's log) when a client hangs up at the wrong moment.
    return StreamingResponse(
        _live(state_of(request), start, agent.name),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _live(state: ServerState, cursor: int, actor: str) -> AsyncIterator[bytes]:
    """The feed from `cursor` on, with `actor`'s notifications, until the client goes (its
    task is then cancelled)."""
    yield format_sse_event(comment=f"cstui events after {cursor}", retry=RETRY_MS)
    async with state.watcher.watching():
        while True:
            batch = await anyio.to_thread.run_sync(_batch, state.store, cursor, actor)
            for e, told in batch:
                for n in told:  # before the event: its id is where a resume starts from
                    note = json.dumps(W.NotificationPublic.encode(n))
                    yield format_sse_event(data_str=note, event="notification")
                data = json.dumps(W.EventPublic.encode(e))
                yield format_sse_event(data_str=data, event=e.kind.value, id=str(e.id))
                cursor = e.id
            if len(batch) < FEED_BATCH:
                await state.watcher.wait_past(cursor)
                if state.watcher.latest <= cursor:
                    yield KEEPALIVE


def _batch(store: Any, after: int, actor: str) -> list[tuple[Event, list[Notification]]]:
    events: list[Event] = store.events_after(after, limit=FEED_BATCH)
    return list(zip(events, _told(store, events, actor), strict=True))


def _told(store: Any, events: list[Event], actor: str) -> list[list[Notification]]:
    """For each event, the notifications to `actor` its firing wrote. An `automation` event
    names whom it notified; their notifications were written in its transaction, at its
    time, for its ticket and rule (one query for the whole batch)."""
    firings = [e for e in events if e.kind is EventKind.AUTOMATION and actor in _notified(e)]
    if not firings:
        return [[] for _ in events]
    since, until = min(e.at for e in firings), max(e.at for e in firings)
    found: dict[tuple[int | None, str, datetime], list[Notification]] = defaultdict(list)
    for n in store.notifications_between(actor=actor, since=since, until=until):
        found[(n.ticket_id, n.rule, n.created_at)].append(n)
    # pop: two firings with one key (rule, ticket, time) send their notifications once
    fired = {e.id for e in firings}
    return [found.pop(_key(e), []) if e.id in fired else [] for e in events]


def _notified(e: Event) -> tuple[str, ...]:
    return tuple((e.new or {}).get("notified") or ())


def _key(e: Event) -> tuple[int | None, str, datetime]:
    return (e.ticket_id, str((e.new or {}).get("rule")), e.at)


# ISO text, parsed here: FastAPI's own datetime also takes numbers as Unix times.
When = Annotated[str | None, Query(max_length=40, description="ISO date or date-time")]


def _aware(value: str | None, field: str = "since") -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{field}: not an ISO date or date-time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@router.get("/events/log", response_model=W.EventsPublic)
def event_log(
    store: StoreDep,
    agent: AgentDep,
    after: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    since: When = None,
    until: When = None,
    ticket_id: Annotated[int | None, Query(ge=1, le=S.MAX_ID)] = None,
) -> JSONResponse:
    """A page of the log after event `after`; `last_id` is where the next page starts."""
    events = store.events_after(
        after,
        limit=limit,
        since=_aware(since),
        until=_aware(until, "until"),
        ticket_id=ticket_id,
    )
    last_id = events[-1].id if events else after
    return JSONResponse({**W.items(W.EventPublic, events), "last_id": last_id})


NDJSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/x-ndjson": {}}, "description": "JSON Lines"}
}


@router.get("/events/window", response_class=StreamingResponse, responses=NDJSON)
def window_events(
    store: StoreDep,
    agent: AgentDep,
    since: Annotated[str, Query(max_length=40, description="ISO date or date-time")],
    until: Annotated[str, Query(max_length=40, description="ISO date or date-time")],
) -> StreamingResponse:
    """Every event of each ticket touched in [since, until), as JSON Lines (for reports)."""
    start, end = _aware(since), _aware(until, "until")
    assert start is not None and end is not None
    if end <= start:
        raise BadInput("until: must be after since")
    events = store.window_events(since=start, until=end)
    lines = (json.dumps(W.EventPublic.encode(e), ensure_ascii=False) + "\n" for e in events)
    return StreamingResponse(lines, media_type="application/x-ndjson")


@router.get("/metrics", response_model=W.MetricsReportPublic)
def metrics(
    store: StoreDep,
    agent: AgentDep,
    since: When = None,
    until: When = None,
    by_agent: bool = False,
) -> JSONResponse:
    """The team's quality figures over [since, until) (and each agent's with `by_agent`),
    from the sums the store keeps with the log."""
    start, end = _aware(since), _aware(until, "until")
    if start and end and end <= start:
        raise BadInput("until: must be after since")
    found = store.quality(since=start, until=end)
    data: dict[str, Any] = {"team": W.MetricsPublic.encode(found.team)}
    if by_agent:
        data["agents"] = {k: W.MetricsPublic.encode(v) for k, v in found.agents.items()}
    return JSONResponse(data)


@router.get("/export", response_class=StreamingResponse, responses=NDJSON)
def export_records(store: StoreDep, agent: AgentDep) -> StreamingResponse:
    """The whole store as JSON Lines, the format of `cstui export` (admins)."""
    lines = (
        json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in store.export_records()
    )
    return StreamingResponse(lines, media_type="application/x-ndjson")
