"""The event log's schema: every kind has one payload class, every payload survives the trip
through the store's JSON unchanged, and a payload that does not fit its kind is refused with
a message naming the field."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from types import NoneType, UnionType
from typing import Any, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cstui.domain import events
from cstui.domain.events import PAYLOADS, MalformedEvent, Payload
from cstui.domain.events.spec import spec_for_class
from cstui.domain.model import (
    OWNERSHIP_EVENTS,
    ArticleKind,
    Category,
    Channel,
    Event,
    EventKind,
    Priority,
    Status,
    Tier,
)

AT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


def parsed(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def values_of(tp: Any) -> st.SearchStrategy[Any]:
    """Any value a field of type `tp` may hold."""
    if get_origin(tp) is UnionType:
        (inner,) = (a for a in get_args(tp) if a is not NoneType)
        return st.none() | values_of(inner)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return st.sampled_from(list(tp))
    if tp is datetime:
        zones = st.just(UTC) | st.timezones() | st.builds(timezone, st.just(timedelta(hours=8)))
        # A local time in a DST gap never compares equal across zones (PEP 495): no event
        # is logged at a time that did not exist.
        return st.datetimes(timezones=zones, allow_imaginary=False)
    if tp == tuple[str, ...]:
        return st.lists(st.text()).map(tuple)
    finite = st.floats(allow_nan=False, allow_infinity=False)
    return {str: st.text(), int: st.integers(), bool: st.booleans(), float: finite}[tp]


def payloads_of(cls: type[Payload]) -> st.SearchStrategy[Payload]:
    if cls is events.Merged:  # names one ticket: the one merged into, or the one merged from
        return st.builds(cls, into=st.integers()) | st.builds(cls, from_=st.integers())
    hints = get_type_hints(cls)
    fields = {f.name: values_of(hints[f.name]) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return st.builds(cls, **fields)


ALL_PAYLOADS = st.one_of([payloads_of(cls) for cls in PAYLOADS.values()])


# -- one class per kind --------------------------------------------------------------------


def test_every_kind_has_exactly_one_payload_class() -> None:
    assert set(PAYLOADS) == set(EventKind)
    assert all(cls.KIND is kind for kind, cls in PAYLOADS.items())
    assert len(set(PAYLOADS.values())) == len(EventKind)


def test_the_ownership_events_are_the_owner_changes() -> None:
    owner_changes = {k for k, cls in PAYLOADS.items() if issubclass(cls, events.OwnerChange)}
    assert owner_changes == OWNERSHIP_EVENTS


def test_a_payload_is_frozen_and_keyword_only() -> None:
    taken = events.Taken(owner="alice")
    with pytest.raises(dataclasses.FrozenInstanceError):
        taken.owner = "bob"  # type: ignore[misc]
    with pytest.raises(TypeError):
        events.Taken("alice")  # type: ignore[misc]
    assert taken == events.Taken(owner="alice", old_owner=None) != events.Taken(owner="bob")


# -- the round trip ------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(ALL_PAYLOADS)
def test_every_payload_survives_the_stores_json(p: Payload) -> None:
    old, new = events.encode(p)
    for text in (old, new):  # the text json.dumps writes, so a byte-identical export
        assert text is None or text == json.dumps(
            json.loads(text), ensure_ascii=False, sort_keys=True
        )
    assert events.decode(p.KIND, parsed(old), parsed(new)) == p
    assert events.decode(p.KIND.value, parsed(old), parsed(new)) == p
    logged = Event(1, 2, "alice", AT, p.KIND, parsed(old), parsed(new))
    assert events.payload(logged) == p == events.payload_as(type(p), logged)
    assert events.columns(p.KIND, parsed(old), parsed(new)) == (p.KIND, old, new)
    assert events.columns(p, None, None) == (p.KIND, old, new)


@settings(max_examples=200, deadline=None)
@given(ALL_PAYLOADS)
def test_the_generated_and_the_checked_code_agree(p: Payload) -> None:
    """Reading and writing run a function generated per class; the checked loop, which
    says what is wrong when that fails, must give the same answers."""
    spec = spec_for_class(type(p))
    old, new = events.encode(p)
    assert spec.checked_dump(p) == (old, new)
    assert spec.checked_load(parsed(old), parsed(new)) == p


@settings(max_examples=200, deadline=None)
@given(ALL_PAYLOADS)
def test_a_payload_cut_around_an_id_is_its_text_with_the_id_left_out(p: Payload) -> None:
    old, new = events.encode(p)
    spec = spec_for_class(type(p))
    for f in spec.new:
        if get_type_hints(type(p))[f.name] is int:
            cut_old, (before, after) = events.encode_around(p, f.name)
            assert (cut_old, f"{before}{getattr(p, f.name)}{after}") == (old, new)
            assert spec.checked_around(p, f.name) == (cut_old, (before, after))


def test_what_the_store_logs_reads_as_it_did_before_the_schema() -> None:
    """The text is what the store wrote before there were payload classes."""
    created = events.Created(
        channel=Channel.CHAT,
        category=Category.REFUND,
        priority=Priority.NORMAL,
        tier=Tier.VIP,
        customer_id=7,
        complaint=False,
    )
    assert events.encode(created) == (
        None,
        '{"category": "refund", "channel": "chat", "complaint": false, "customer_id": 7, '
        '"priority": "normal", "tier": "vip"}',
    )
    assert events.encode(events.Taken(owner="小王")) == ('{"owner": null}', '{"owner": "小王"}')
    due = datetime(2026, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert events.encode(events.FollowUpScheduled(due=due)) == (
        None,
        '{"due": "2026-11-20T09:30:00+08:00"}',
    )
    assert events.encode(events.Merged(from_=3)) == (None, '{"from": 3}')
    article = events.ArticleAdded(article_id=1, kind=ArticleKind.FAQ, title='say "hi"')
    assert events.encode(article) == (
        None,
        '{"article_id": 1, "kind": "faq", "title": "say \\"hi\\""}',
    )
    draft = dataclasses.replace(article, draft=True, source_ticket_id=5)
    assert events.encode(draft)[1] == (
        '{"article_id": 1, "draft": true, "kind": "faq", "source_ticket_id": 5, '
        '"title": "say \\"hi\\""}'
    )
    assert events.encode(events.Closed()) == (None, None)


def test_the_store_may_still_pass_plain_objects_and_they_come_out_canonical() -> None:
    kind, old, new = events.columns(
        EventKind.ESCALATION_STATE,
        {"state": "requested"},
        {"state": "done", "note": None, "escalation_id": 4},
    )
    assert (kind, old, new) == (
        EventKind.ESCALATION_STATE,
        '{"state": "requested"}',
        '{"escalation_id": 4, "note": null, "state": "done"}',
    )
    # an omitted field may be given as null, as the store once wrote it
    legacy = {
        "article_id": 1,
        "kind": "case",
        "title": "t",
        "draft": True,
        "source_ticket_id": None,
    }
    assert events.decode("article_added", None, legacy) == events.ArticleAdded(
        article_id=1, kind=ArticleKind.CASE, title="t", draft=True
    )


# -- refusals ------------------------------------------------------------------------------

OWNER = {"owner": None}


@pytest.mark.parametrize(
    ("kind", "old", "new", "message"),
    [
        ("bogus", None, None, "event: unknown kind 'bogus'"),
        (7, None, None, "event: unknown kind 7"),
        ("taken", OWNER, {}, "event taken: new.owner: missing"),
        ("taken", None, {"owner": "a"}, "event taken: old.owner: missing"),
        ("taken", OWNER, {"owner": "a", "by": 1}, "event taken: new: unknown field 'by'"),
        ("reply", {"x": 1}, {"message_id": 1}, "event reply: old: unknown field 'x'"),
        ("taken", OWNER, {"owner": 7}, "event taken: new.owner: expected a string, got 7"),
        ("taken", OWNER, {"owner": None}, "event taken: new.owner: expected a string, got None"),
        ("taken", OWNER, ["owner"], "event taken: new: expected an object"),
        ("reply", None, {"message_id": "1"}, "event reply: new.message_id: expected an integer"),
        ("reply", None, {"message_id": True}, "event reply: new.message_id: expected an integer"),
        ("linked", None, {"other": 1.0}, "event linked: new.other: expected an integer, got 1.0"),
        ("complaint", None, {"cause": None, "second": 1}, "new.second: expected true or false"),
        (
            "status",
            {"status": "open"},
            {"status": "shelved"},
            "event status: new.status: expected one of new, open, pending, on_hold, resolved, "
            "closed, got 'shelved'",
        ),
        ("follow_up_scheduled", None, {"due": "soon"}, "new.due: expected an ISO 8601 time"),
        (
            "follow_up_scheduled",
            None,
            {"due": "2026-11-20T09:30:00"},
            "new.due: expected a time with its UTC offset",
        ),
        ("pii_revealed", None, {"customer_id": 1, "fields": "phone"}, "expected a list of strings"),
        ("pii_revealed", None, {"customer_id": 1, "fields": [1]}, "expected a list of strings"),
        ("merged", None, {}, "event merged: new: expected exactly one of into, from"),
        ("merged", None, {"into": 1, "from": 2}, "event merged: new: expected exactly one of"),
        ("closed", None, {"status": "closed"}, "event closed: new: unknown field 'status'"),
    ],
)
def test_a_payload_that_does_not_fit_its_kind_is_refused_by_name(
    kind: Any, old: Any, new: Any, message: str
) -> None:
    with pytest.raises(MalformedEvent) as refused:
        events.decode(kind, old, new)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    with pytest.raises(MalformedEvent):  # the store's way in refuses it the same
        events.columns(kind, old, new)


def test_a_long_wrong_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(MalformedEvent, match=r"expected a string, got \[0, 0, .{40,}\.\.\.$"):
        events.decode("taken", OWNER, {"owner": [0] * 100})


@pytest.mark.parametrize(
    ("p", "message"),
    [
        (events.Taken(owner=7), "event taken: new.owner: expected a string, got 7"),  # type: ignore[arg-type]
        (events.Csat(score=True, owner=None), "event csat: new.score: expected an integer"),
        (events.Reply(message_id=None), "event reply: new.message_id: expected an integer"),  # type: ignore[arg-type]
        (
            events.StatusChanged(status="shelved", old_status=Status.OPEN),  # type: ignore[arg-type]
            "event status: new.status: expected one of",
        ),
        (events.FollowUpScheduled(due=AT.replace(tzinfo=None)), "new.due: expected a time with"),
        (events.Complaint(cause=None, second=0), "new.second: expected true or false, got 0"),  # type: ignore[arg-type]
    ],
)
def test_a_payload_built_wrong_is_not_written(p: Payload, message: str) -> None:
    with pytest.raises(MalformedEvent, match=message):
        events.encode(p)
    with pytest.raises(MalformedEvent, match=message):
        events.columns(p, None, None)


def test_the_way_in_takes_a_payload_or_a_kind_and_objects_not_both() -> None:
    with pytest.raises(TypeError):
        events.columns(events.Taken(owner="a"), None, {"owner": "a"})
    with pytest.raises(TypeError):
        events.encode(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        events.encode_around(events.Reply(message_id=1), "nothing")
    with pytest.raises(MalformedEvent, match="event csat: not a Taken event"):
        events.payload_as(
            events.Taken, Event(1, 1, None, AT, EventKind.CSAT, None, {"score": 5, "owner": None})
        )
    with pytest.raises(MalformedEvent, match="exactly one of into, from"):
        events.Merged()
