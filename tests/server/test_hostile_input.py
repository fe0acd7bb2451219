"""Hostile requests against a real server on loopback: each gets a one-line JSON 4xx, never a
5xx or a reset, and nothing is written; the server's log names no query and stays quiet.

A 1 MB request head goes out by a raw socket, read back to the server's hang-up. `cstui
serve` itself runs where its output (the access log) is read.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cstui.domain.model import Category, Channel, MessageKind
from cstui.store import init_store, open_store
from cstui.store.base import NewCustomer, NewTicket
from tests.server.conftest import Served
from tests.serving import ServeProcess, add_team

PHONE = "19513257110"


def post_raw(served: Served, who: str, path: str, body: bytes, **headers: str) -> httpx.Response:
    """`body` sent as it is: JSON escapes such as `\\ud800` reach the server unchanged."""
    with served.client(who) as client:
        return client.post(
            path, content=body, headers={"Content-Type": "application/json", **headers}
        )


def assert_one_line_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The one JSON error shape, UTF-8, its message one printable line."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = json.loads(response.content.decode("utf-8"))
    assert set(body) >= {"error", "kind"}
    assert body["error"].isprintable(), body["error"]
    return body


class TestBodies:
    def test_a_lone_surrogate_is_refused_by_field_and_nothing_is_written(
        self, served: Served
    ) -> None:
        tid = served.new_ticket()
        before = served.store.last_event_id()
        note = post_raw(
            served, "ops", f"/tickets/{tid}/messages", b'{"kind": "note", "text": "x\\ud800y"}'
        )
        assert assert_one_line_error(note, 422)["error"].startswith("body.text: ")
        assert served.store.last_event_id() == before

    def test_a_lone_surrogate_in_a_list_of_text_is_refused(self, served: Served) -> None:
        before = served.store.last_event_id()
        article = b'{"title": "t", "body": "b", "tags": ["x\\udfffy"]}'
        response = post_raw(served, "ops", "/kb/articles", article)
        assert "lone surrogate" in assert_one_line_error(response, 422)["error"]
        assert served.store.last_event_id() == before

    def test_an_error_quoting_a_hostile_key_is_one_printable_line(self, served: Served) -> None:
        tid = served.new_ticket()
        body = b'{"kind": "note", "text": "t", "x\\n\\u001b[2J\\u202e": 1}'
        response = post_raw(served, "ops", f"/tickets/{tid}/messages", body)
        message = assert_one_line_error(response, 422)["error"]
        assert message == "body.x\\n\\x1b[2J\\u202e: Extra inputs are not permitted"

    @pytest.mark.parametrize(
        ("text", "status"),
        [
            (b"x\xffy", 400),  # not UTF-8: the body is no JSON text
            (b"x\xed\xa0\x80y", 422),  # a surrogate's bytes: Python's JSON reads them as one
        ],
    )
    def test_invalid_utf8_is_refused_and_nothing_is_written(
        self, served: Served, text: bytes, status: int
    ) -> None:
        tid = served.new_ticket()
        before = served.store.last_event_id()
        body = b'{"kind": "note", "text": "' + text + b'"}'
        assert_one_line_error(post_raw(served, "ops", f"/tickets/{tid}/messages", body), status)
        assert served.store.last_event_id() == before

    def test_numbers_beyond_64_bits_are_bad_input(self, served: Served) -> None:
        for path, body in (
            ("/tickets/1/merge", b'{"into": 99999999999999999999999}'),
            ("/orders", b'{"number": "SO1", "customer_id": 18446744073709551616, "amount": 1}'),
        ):
            assert_one_line_error(post_raw(served, "ops", path, body), 422)

    def test_a_body_over_the_limit_is_a_413(self, served: Served) -> None:
        body = b'{"text": "' + b"x" * (3 * 2**20) + b'"}'
        response = post_raw(served, "ops", "/tickets/1/customer-messages", body)
        assert_one_line_error(response, 413)

    def test_a_message_with_files_may_be_larger_but_not_without_bound(self, served: Served) -> None:
        """A reply's route takes files (twice the 20 MB file limit, and 2 MB more)."""
        body = b'{"kind": "note", "text": "' + b"x" * (3 * 2**20) + b'"}'
        response = post_raw(served, "ops", "/tickets/1/messages", body)
        assert response.status_code == 422  # read whole, then refused: the text is too long
        huge = b'{"kind": "note", "text": "' + b"x" * (43 * 2**20) + b'"}'
        assert_one_line_error(post_raw(served, "ops", "/tickets/1/messages", huge), 413)


class TestUrlsAndHeaders:
    @pytest.mark.parametrize(
        "target",
        ["/agents/x%FFy", "/kb/templates/x%ED%A0%80y", "/tickets/search?q=x%ED%A0%80y"],
    )
    def test_a_url_that_is_not_utf8_is_a_400(self, served: Served, target: str) -> None:
        with served.client("ops") as ops:
            response = ops.get(target)
        assert "not UTF-8" in assert_one_line_error(response, 400)["error"]

    def test_a_name_in_a_path_is_quoted_back_on_one_line(self, served: Served) -> None:
        with served.client("ops") as ops:
            response = ops.get("/agents/%1b%5b2J%0aFAKE")
        assert "\\x1b[2J\\nFAKE" in assert_one_line_error(response, 404)["error"]

    def test_an_idempotency_key_that_is_not_ascii_is_refused_unacted(self, served: Served) -> None:
        tid = served.new_ticket()
        with served.client("alice") as alice:
            response = alice.post(
                f"/tickets/{tid}/take", headers={b"Idempotency-Key": b"k\xed\xa0\x80"}
            )
        assert_one_line_error(response, 422)
        assert served.store.get_ticket(tid).owner is None

    @pytest.mark.parametrize("value", [b"\xb2", b"99999999999999999999", b"\xed\xa0\x80"])
    def test_a_last_event_id_that_is_no_event_id_is_bad_input(
        self, served: Served, value: bytes
    ) -> None:
        with served.client("ops") as ops:
            response = ops.get("/events", headers={b"Last-Event-ID": value})
        assert_one_line_error(response, 422)


class TestIfMatch:
    """RFC 9110 §13.1.1: If-Match compares strongly, so a weak tag never matches."""

    @pytest.fixture
    def ticket(self, served: Served) -> Iterator[tuple[int, int]]:
        """A ticket alice owns, and its version."""
        tid = served.new_ticket()
        yield tid, served.store.take(tid, actor="alice").version

    def patch(self, served: Served, tid: int, if_match: bytes | None) -> httpx.Response:
        headers = {} if if_match is None else {b"If-Match": if_match}
        with served.client("alice") as alice:
            return alice.patch(f"/tickets/{tid}", json={"priority": "high"}, headers=headers)

    @pytest.mark.parametrize(
        "if_match",
        [
            b'W/"{v}"',
            b"{v}",
            b'"{v}',
            b'"x"',
            b'"\xb2"',
            b'"\xed\xa0\x80"',
            b'"99999999999999999999"',
        ],
    )
    def test_weak_or_malformed_is_412_and_nothing_changes(
        self, served: Served, ticket: tuple[int, int], if_match: bytes
    ) -> None:
        tid, version = ticket
        value = if_match.replace(b"{v}", str(version).encode())
        assert assert_one_line_error(self.patch(served, tid, value), 412)["kind"] == "stale_version"
        assert served.store.get_ticket(tid).version == version

    def test_missing_is_428(self, served: Served, ticket: tuple[int, int]) -> None:
        assert_one_line_error(self.patch(served, ticket[0], None), 428)

    @pytest.mark.parametrize("if_match", [b'"{v}"', b'W/"{v}", "{v}"', b"*"])
    def test_a_strong_match_or_any_is_applied(
        self, served: Served, ticket: tuple[int, int], if_match: bytes
    ) -> None:
        tid, version = ticket
        value = if_match.replace(b"{v}", str(version).encode())
        assert self.patch(served, tid, value).status_code == 200
        assert served.store.get_ticket(tid).version == version + 1


# -- `cstui serve` itself: oversized requests, its log ---------------------------------------


@pytest.fixture(scope="module")
def team_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, int]]:
    """A store with the team and a ticket: (path, the admin's token, the ticket's id)."""
    db = tmp_path_factory.mktemp("serve") / "serve.db"
    store = init_store(str(db))
    token = add_team(store)["ops"]
    customer = store.add_customer(NewCustomer("张三", phone=PHONE))
    new = NewTicket(customer.id, "退款", "body", Channel.CHAT, Category.REFUND)
    tid = store.create_ticket(new).id
    store.close()
    yield db, token, tid


@pytest.fixture(scope="module")
def serving(team_db: tuple[Path, str, int]) -> Iterator[ServeProcess]:
    with ServeProcess(str(team_db[0]), log_level="info") as server:
        yield server


def raw_exchange(url: str, head: bytes) -> tuple[int, dict[str, Any]]:
    """Send a request head as it is and read the answer up to the server's hang-up: a
    reset (instead of an orderly close) raises."""
    host, port = url.removeprefix("http://").split(":")
    answer = b""
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


class TestOversizedRequests:
    def test_a_1mb_url_gets_a_414_not_a_reset(self, serving: ServeProcess) -> None:
        head = b"GET /api/v1/tickets/search?q=" + b"9" * 2**20 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        status, body = raw_exchange(serving.url, head)
        assert status == 414 and body["kind"] == "bad_input"
        assert "URL is too long" in body["error"]

    def test_1mb_of_headers_get_a_431(self, serving: ServeProcess) -> None:
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"y" * 2**20 + b"\r\n\r\n"
        status, body = raw_exchange(serving.url, head)
        assert status == 431 and "headers are too large" in body["error"]

    def test_the_server_still_answers_afterwards(self, serving: ServeProcess) -> None:
        assert httpx.get(f"{serving.url}/healthz").status_code == 200


class TestAccessLog:
    def test_a_searched_phone_number_is_not_logged(
        self, serving: ServeProcess, team_db: tuple[Path, str, int]
    ) -> None:
        auth = {"Authorization": f"Bearer {team_db[1]}"}
        found = httpx.get(f"{serving.url}/api/v1/tickets/search", params={"q": PHONE}, headers=auth)
        assert [t["id"] for t in found.json()["items"]] == [team_db[2]]
        line = serving.wait_for_output('"GET /api/v1/tickets/search"')
        assert " 200 " in line and line.rstrip().endswith(" ms")  # method, path, status, time
        assert not [out for out in serving.output if PHONE in out]

    def test_a_path_is_logged_as_sent_with_no_control_character(
        self, serving: ServeProcess
    ) -> None:
        httpx.get(f"{serving.url}/api/v1/agents/%1b%5b2J%0aFAKE")
        line = serving.wait_for_output("/api/v1/agents/")
        assert "/api/v1/agents/%1b%5b2J%0aFAKE" in line and "\x1b" not in "".join(serving.output)


def test_clients_leaving_the_live_feed_leave_no_traceback(team_db: tuple[Path, str, int]) -> None:
    """Streams reset mid-event while events flow: the server's whole output, read after it
    stopped, holds no traceback."""
    db, token, tid = team_db
    writes = open_store(str(db))
    stop = threading.Event()

    def write_events() -> None:
        while not stop.is_set():
            writes.add_message(tid, actor="ops", kind=MessageKind.NOTE, text="n")

    with ServeProcess(str(db), log_level="info") as server:
        writer = threading.Thread(target=write_events, daemon=True)
        writer.start()
        try:
            for _ in range(8):
                leave_the_feed_mid_event(server.url, token)
        finally:
            stop.set()
            writer.join(timeout=10)
            writes.close()
    output = "".join(server.output)
    assert '"GET /api/v1/events" 200' in output  # the streams were served (and logged)
    assert "Traceback" not in output and "Exception" not in output, output


def leave_the_feed_mid_event(url: str, token: str) -> None:
    """Open the live feed from the start of the log, read into it, hang up with a reset."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"GET /api/v1/events?after=0 HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
        seen = b""
        while seen.count(b"\nid: ") < 3:
            seen += sock.recv(65536)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
