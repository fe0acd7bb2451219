"""The webhook sender against a real HTTP server on loopback: signed as intake verifies,
2xx delivered, 5xx/429 transient, other 4xx permanent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from cstui.channels.outcome import DeliveryError
from cstui.channels.webhook import WebhookSender, payload
from cstui.domain import signing
from cstui.domain.channels import DeliveryKind, Outbound
from cstui.domain.model import Channel

SECRET = b"chat-secret"
NOW = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


class Endpoint(BaseHTTPRequestHandler):
    status = 200
    seen: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"no")

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[Endpoint]]]:
    with serving_endpoint() as served:
        yield served


@contextmanager
def serving_endpoint() -> Iterator[tuple[str, type[Endpoint]]]:
    """A webhook endpoint on loopback: (its URL, its handler class with `seen` and `status`)."""
    handler = type("Handler", (Endpoint,), {"seen": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook?token=t0p", handler
    finally:
        server.shutdown()
        server.server_close()


def outbound() -> Outbound:
    return Outbound(
        id=5,
        ticket_id=42,
        kind=DeliveryKind.REPLY,
        channel=Channel.CHAT,
        recipient="wx-user-9",
        recipient_name="买家",
        subject="订单还没到",
        body="您好，已为您催促物流。",
        external_id="<t42.d5@shop.example>",
        in_reply_to="m-7",
        references=("m-7",),
        conversation_id="conv-3",
        attempts=1,
    )


def test_a_reply_is_posted_signed_as_intake_verifies(endpoint: tuple[str, type[Endpoint]]) -> None:
    url, handler = endpoint
    sender = WebhookSender(clock=lambda: NOW)
    o = outbound()
    sender.send(url, SECRET, o, payload(o, []))
    sender.close()
    [(headers, body)] = handler.seen
    when = signing.verify(
        SECRET, headers["X-Cstui-Timestamp"], headers["X-Cstui-Signature"], body, now=NOW
    )
    assert when == int(NOW.timestamp())
    assert headers["Idempotency-Key"] == "<t42.d5@shop.example>"
    sent = json.loads(body)
    assert (sent["text"], sent["conversation_id"], sent["recipient"]) == (
        "您好，已为您催促物流。",
        "conv-3",
        "wx-user-9",
    )


@pytest.mark.parametrize(
    ("status", "permanent"), [(500, False), (429, False), (400, True), (404, True)]
)
def test_refusals_are_classified(
    endpoint: tuple[str, type[Endpoint]], status: int, permanent: bool
) -> None:
    url, handler = endpoint
    handler.status = status
    sender = WebhookSender(clock=lambda: NOW)
    with pytest.raises(DeliveryError, match=f"HTTP {status}") as refused:
        sender.send(url, SECRET, outbound(), b"{}")
    sender.close()
    assert refused.value.permanent is permanent
    assert "t0p" not in str(refused.value)  # a token in the URL never reaches the log


def test_an_endpoint_that_is_not_there_is_transient() -> None:
    from .conftest import free_port

    sender = WebhookSender(clock=lambda: NOW)
    with pytest.raises(DeliveryError) as dead:
        sender.send(f"http://127.0.0.1:{free_port()}/hook", SECRET, outbound(), b"{}")
    sender.close()
    assert not dead.value.permanent
