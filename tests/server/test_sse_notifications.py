"""The live feed carries the connected agent's own notifications (`event: notification`),
each before the `automation` event whose firing wrote it, and again on a resume from
before that event; another agent's stream has none of them. A real server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cstui.domain.automations import AutomationPolicy
from cstui.domain.model import Department
from cstui.server.deps import ServerOptions
from tests.server.conftest import Served, serve_store

Message = dict[str, object]


@pytest.fixture(scope="module")
def green_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve_store(
        tmp_path_factory.mktemp("sse") / "sse.db", ServerOptions(rate_per_second=0)
    )


def _messages(response: httpx.Response, until_id: int) -> list[Message]:
    """Every message (with an id or not) until the one with id `until_id`."""
    found: list[Message] = []
    current: Message = {}
    for line in response.iter_lines():
        if line.startswith("id: "):
            current["id"] = int(line[4:])
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
        elif not line and "event" in current:
            found.append(current)
            if current.get("id") == until_id:
                break
            current = {}
        elif not line:
            current = {}
    return found


def _green_past_two_hours(served: Served) -> tuple[int, int]:
    """A green ticket of alice's (green by a supervisor's call), swept 2 h 1 min later:
    (the ticket, the log's last id before the sweep)."""
    ticket = served.new_ticket("生鲜变质")
    served.store.take(ticket, actor="alice")
    served.store.escalate(ticket, actor="sue", department=Department.QC, reason="质检", green=True)
    start = served.store.last_event_id()
    at = datetime.now(UTC) + timedelta(hours=2, minutes=1)
    assert served.store.sweep(AutomationPolicy(), at=at).fired >= 2  # warning, escalation
    return ticket, start


def _stream(served: Served, who: str, after: int, until_id: int) -> list[Message]:
    with (
        served.client(who) as client,
        client.stream("GET", "/events", headers={"Last-Event-ID": str(after)}) as stream,
    ):
        return _messages(stream, until_id)


def test_each_agent_gets_their_own_notifications_resumably(green_served: Served) -> None:
    served = green_served
    ticket, start = _green_past_two_hours(served)
    last = served.store.last_event_id()
    alice = _stream(served, "alice", start, last)
    notes = [m for m in alice if m["event"] == "notification"]
    mine = served.store.notifications(actor="alice")
    assert mine and sorted(_id(n) for n in notes) == sorted(n.id for n in mine)
    for note in notes:
        data = note["data"]
        assert isinstance(data, dict) and data["ticket_id"] == ticket and "id" not in note
        after = alice[alice.index(note) + 1 :]
        following = next(m for m in after if "id" in m)  # the automation event that wrote it
        assert following["event"] == "automation"
        assert following["data"]["new"]["rule"] == data["rule"]  # type: ignore[index]
    sue = [m for m in _stream(served, "sue", start, last) if m["event"] == "notification"]
    assert {_id(n) for n in sue} == {n.id for n in served.store.notifications(actor="sue")}
    assert not {_id(n) for n in sue} & {n.id for n in mine}
    bob = _stream(served, "bob", start, last)
    assert [m for m in bob if m["event"] == "notification"] == []
    # A resume from just before the last automation event sends its notifications again.
    automations = [m for m in alice if m["event"] == "automation"]
    before_last = [m for m in alice if "id" in m and m["id"] < automations[-1]["id"]]  # type: ignore[operator]
    resumed = _stream(served, "alice", int(before_last[-1]["id"]), last)  # type: ignore[call-overload]
    again = [_id(m) for m in resumed if m["event"] == "notification"]
    assert again and set(again) <= {n.id for n in mine}


def _id(note: Message) -> int:
    data = note["data"]
    assert isinstance(data, dict)
    return int(data["id"])
