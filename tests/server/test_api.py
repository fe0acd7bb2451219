"""The HTTP API against a real server: auth and roles, versions, idempotency, errors, SSE."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cstui.domain.model import Category, Channel, EventKind, MessageKind
from cstui.server.deps import ServerOptions
from cstui.store.base import NewCustomer, NewTicket
from tests.server.conftest import Served, serve_store
from tests.serving import read_events


def test_health_and_schema_need_no_token(served: Served) -> None:
    assert httpx.get(f"{served.url}/healthz").json()["status"] == "ok"
    schema = httpx.get(f"{served.url}/openapi.json").json()
    for path in ("/api/v1/tickets", "/api/v1/tickets/{ticket_id}/take", "/api/v1/events"):
        assert path in schema["paths"]


class TestAuth:
    def test_no_token_or_an_unknown_one_is_401(self, served: Served) -> None:
        with served.client(None) as anonymous:
            response = anonymous.get("/tickets")
        assert response.status_code == 401 and response.json()["kind"] == "unauthorized"
        bad = httpx.get(
            f"{served.url}/api/v1/tickets", headers={"Authorization": "Bearer not-a-token"}
        )
        assert bad.status_code == 401

    def test_an_agent_may_not_steal_a_ticket(self, served: Served) -> None:
        tid = served.new_ticket()
        with served.client("alice") as alice, served.client("bob") as bob:
            assert alice.post(f"/tickets/{tid}/take").status_code == 200
            stolen = bob.post(f"/tickets/{tid}/steal", json={"reason": "I know them"})
        assert stolen.status_code == 403 and stolen.json()["kind"] == "permission_denied"
        assert served.store.get_ticket(tid).owner == "alice"

    def test_an_agent_may_not_approve_a_transfer_but_a_supervisor_may(self, served: Served) -> None:
        tid = served.new_ticket()
        with served.client("alice") as alice, served.client("carol") as carol:
            alice.post(f"/tickets/{tid}/take").raise_for_status()
            asked = alice.post(f"/tickets/{tid}/transfer", json={"to": "bob", "reason": "shift"})
            request_id = asked.json()["request"]["id"]
            refused = carol.post(f"/transfers/{request_id}/decision", json={"approve": True})
        assert refused.status_code == 403
        with served.client("sue") as sue:
            approved = sue.post(f"/transfers/{request_id}/decision", json={"approve": True})
        assert approved.status_code == 200 and approved.json()["state"] == "approved"
        assert served.store.get_ticket(tid).owner == "bob"

    def test_admin_only_endpoints_refuse_agents(self, served: Served) -> None:
        with served.client("alice") as alice:
            response = alice.post("/agents", json={"name": "mallory", "role": "admin"})
        assert response.status_code == 403
        assert "mallory" not in {a.name for a in served.store.list_agents()}


def test_a_flood_is_told_to_wait(tmp_path: Path) -> None:
    """Past the burst, a token gets 429 with Retry-After; another token is unaffected."""
    # One request per 100 s past the burst: however slow the machine, none comes back.
    limited = ServerOptions(rate_per_second=0.01, rate_burst=3)
    server: Iterator[Served] = serve_store(tmp_path / "limited.db", limited)
    served = next(server)
    try:
        with served.client("alice") as alice, served.client("bob") as bob:
            codes = [alice.get("/tickets/count").status_code for _ in range(5)]
            last = alice.get("/tickets/count")
            assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
            assert last.status_code == 429 and int(last.headers["Retry-After"]) >= 1
            assert bob.get("/tickets/count").status_code == 200
    finally:
        next(server, None)


class TestVersions:
    def test_etag_if_match_428_412(self, served: Served) -> None:
        tid = served.new_ticket()
        with served.client("alice") as alice:
            alice.post(f"/tickets/{tid}/take").raise_for_status()
            read = alice.get(f"/tickets/{tid}")
            tag = read.headers["ETag"]
            assert tag == f'"{read.json()["version"]}"'
            missing = alice.patch(f"/tickets/{tid}", json={"priority": "high"})
            assert missing.status_code == 428
            changed = alice.patch(
                f"/tickets/{tid}", json={"priority": "high"}, headers={"If-Match": tag}
            )
            assert changed.status_code == 200 and changed.headers["ETag"] != tag
            stale = alice.patch(
                f"/tickets/{tid}", json={"status": "pending"}, headers={"If-Match": tag}
            )
        assert stale.status_code == 412 and stale.json()["kind"] == "stale_version"
        assert served.store.get_ticket(tid).priority.value == "high"
        assert served.store.get_ticket(tid).status.value == "open"

    def test_take_lost_names_the_owner(self, served: Served) -> None:
        tid = served.new_ticket()
        with served.client("alice") as alice, served.client("bob") as bob:
            assert alice.post(f"/tickets/{tid}/take").status_code == 200
            lost = bob.post(f"/tickets/{tid}/take")
        assert lost.status_code == 409 and lost.json()["owner"] == "alice"


class TestIdempotency:
    def test_a_replayed_send_returns_the_same_and_sends_once(self, served: Served) -> None:
        tid = served.new_ticket()
        key = {"Idempotency-Key": "reply-1"}
        body = {"kind": "reply", "text": "您好，已为您查询物流"}
        with served.client("alice") as alice:
            alice.post(f"/tickets/{tid}/take").raise_for_status()
            first = alice.post(f"/tickets/{tid}/messages", json=body, headers=key)
            again = alice.post(f"/tickets/{tid}/messages", json=body, headers=key)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        replies = [m for m in served.store.messages(tid) if m.kind is MessageKind.REPLY]
        assert len(replies) == 1
        events = [e.kind for e in served.store.events(ticket_id=tid)]
        assert events.count(EventKind.REPLY) == 1

    def test_a_refusal_is_replayed_too_and_a_reused_key_is_bad_input(self, served: Served) -> None:
        tid = served.new_ticket()
        key = {"Idempotency-Key": "reply-2"}
        with served.client("bob") as bob:
            refused = bob.post(
                f"/tickets/{tid}/messages", json={"kind": "reply", "text": "hi"}, headers=key
            )
            replayed = bob.post(
                f"/tickets/{tid}/messages", json={"kind": "reply", "text": "hi"}, headers=key
            )
            other = bob.post(
                f"/tickets/{tid}/messages", json={"kind": "note", "text": "x"}, headers=key
            )
        assert refused.status_code == replayed.status_code == 409
        assert refused.json() == replayed.json()
        assert other.status_code == 422 and "another request" in other.json()["error"]

    def test_a_survey_answer_retried_with_its_key_counts_once(self, served: Served) -> None:
        tid = served.new_ticket()
        with served.client("alice") as alice:
            alice.post(f"/tickets/{tid}/take").raise_for_status()
            alice.post(f"/tickets/{tid}/resolve", json={"code": "refunded"}).raise_for_status()
        key = {"Idempotency-Key": f"survey-{tid}"}
        with served.client("ops") as survey:
            first = survey.post(f"/tickets/{tid}/csat", json={"score": 2}, headers=key)
            again = survey.post(f"/tickets/{tid}/csat", json={"score": 2}, headers=key)
        assert first.status_code == again.status_code == 204
        assert again.headers["Idempotent-Replayed"] == "true" and not again.content
        events = [e.kind for e in served.store.events(ticket_id=tid)]
        assert events.count(EventKind.CSAT) == 1

    def test_keys_belong_to_their_agent(self, served: Served) -> None:
        tid = served.new_ticket()
        key = {"Idempotency-Key": "same-key"}
        note = {"kind": "note", "text": "checked the parcel"}
        with served.client("alice") as alice, served.client("bob") as bob:
            assert alice.post(f"/tickets/{tid}/messages", json=note, headers=key).is_success
            assert bob.post(f"/tickets/{tid}/messages", json=note, headers=key).is_success
        assert len([m for m in served.store.messages(tid) if m.kind is MessageKind.NOTE]) == 2


class TestBadInput:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/tickets?view=nope", None),
            ("GET", "/tickets?limit=0", None),
            ("GET", "/tickets?cursor=zzz", None),
            ("GET", "/tickets/99999999999999", None),
            ("POST", "/tickets/1/messages", {"kind": "shout", "text": "x"}),
            ("POST", "/tickets/1/messages", {"kind": "note", "text": "a\u0000b"}),
            ("POST", "/tickets/1/escalations", {"department": "moon", "reason": "x"}),
            ("GET", "/tickets/search?q=status:bogus", None),
            ("GET", "/kb/search?q=" + "x" * 300, None),
        ],
    )
    def test_is_a_4xx_with_a_one_line_error(
        self, served: Served, method: str, path: str, body: object
    ) -> None:
        with served.client("alice") as alice:
            response = alice.request(method, path, json=body)
        assert 400 <= response.status_code < 500, response.text
        error = response.json()["error"]
        assert error and "\n" not in error

    def test_unknown_ticket_is_404(self, served: Served) -> None:
        with served.client("alice") as alice:
            response = alice.get("/tickets/424242")
        assert response.status_code == 404 and response.json()["kind"] == "not_found"


class TestLiveEvents:
    def test_stream_resumes_from_last_event_id(self, served: Served) -> None:
        tid = served.new_ticket()
        start = max(e.id for e in served.store.events())
        with served.client("alice") as alice:
            alice.post(f"/tickets/{tid}/take").raise_for_status()
            alice.post(f"/tickets/{tid}/messages", json={"kind": "note", "text": "n"})
            headers = {"Last-Event-ID": str(start)}
            with alice.stream("GET", "/events", headers=headers) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                first = read_events(stream, 2)
            assert [e["event"] for e in first] == ["taken", "note"]
            resume = {"Last-Event-ID": str(first[0]["id"])}
            with alice.stream("GET", "/events", headers=resume) as stream:
                again = read_events(stream, 1)
        assert again[0]["id"] == first[1]["id"]
        data = again[0]["data"]
        assert isinstance(data, dict) and data["ticket_id"] == tid

    def test_a_live_stream_sees_new_writes(self, served: Served) -> None:
        tid = served.new_ticket()
        with served.client("bob") as bob, bob.stream("GET", "/events") as stream:
            served.store.take(tid, actor="carol")
            (event,) = read_events(stream, 1)
        data = event["data"]
        assert event["event"] == "taken"
        assert isinstance(data, dict) and data["new"] == {"owner": "carol"}

    def test_bad_last_event_id_is_bad_input(self, served: Served) -> None:
        with served.client("bob") as bob:
            response = bob.get("/events", headers={"Last-Event-ID": "yesterday"})
        assert response.status_code == 422


def test_search_by_filters_and_words(served: Served) -> None:
    vip = served.new_ticket("包裹丢失 VIP 加急")
    other = served.new_ticket("发票抬头修改")
    served.new_ticket("地址填错了")  # two unowned at least, whatever ran before: a next page
    with served.client("alice") as alice:
        alice.post(f"/tickets/{vip}/take").raise_for_status()
        found = alice.get("/tickets/search", params={"q": "owner:alice 包裹"}).json()
        none = alice.get("/tickets/search", params={"q": "status:closed 包裹"}).json()
        paged = alice.get("/tickets/search", params={"q": "owner:none", "limit": 1}).json()
    assert [t["id"] for t in found["items"]] == [vip]
    assert none["items"] == []
    assert paged["items"][0]["id"] >= other and paged["next_cursor"] is not None


def revealed(served: Served) -> int:
    return sum(1 for e in served.store.events() if e.kind is EventKind.PII_REVEALED)


def test_contact_is_masked_and_whole_only_from_the_logged_reveal(served: Served) -> None:
    customer = served.store.add_customer(
        NewCustomer(
            "王五",
            phone="13912345678",
            email="wangwu@example.com",
            address="上海市浦东新区世纪大道100号",
        )
    )
    ticket = served.store.create_ticket(
        NewTicket(customer.id, "改地址", "body", Channel.CHAT, Category.ADDRESS)
    )
    served.store.take(ticket.id, actor="alice")
    with served.client("alice") as c:
        card = c.get(f"/customers/{customer.id}").json()
        assert (card["phone_masked"], card["email_masked"]) == ("139****5678", "w***@example.com")
        assert card["address_masked"] == "上海市浦东新区****"
        assert "13912345678" not in str(card) and "phone" not in card
        before = revealed(served)
        whole = c.post(f"/customers/{customer.id}/reveal", params={"ticket_id": ticket.id}).json()
        assert (whole["phone"], whole["email"]) == ("13912345678", "wangwu@example.com")
        assert revealed(served) == before + 1
