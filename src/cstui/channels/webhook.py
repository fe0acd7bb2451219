"""Replies to chat, app and social channels: a signed JSON POST to the channel's webhook.

The body is signed like intake requests (`cstui.domain.signing`: X-Cstui-Timestamp and
X-Cstui-Signature over "timestamp.body"), and carries our id of the message, the same on
every attempt (also as Idempotency-Key), so the platform can drop a repeat after a crash.

A 2xx answer delivered it. 408, 425, 429, a 5xx, a timeout or a refused connection are
transient; any other answer (400, 401, 404, 410 …) is the platform refusing this request,
which the same request again cannot change: permanent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime

import httpx

from cstui.channels.outcome import DeliveryError, one_line
from cstui.domain import signing
from cstui.domain.channels import Attachment, Outbound

TIMEOUT_SECONDS = 30.0
TRANSIENT_STATUSES = frozenset({408, 425, 429})


def payload(outbound: Outbound, attachments: Sequence[tuple[Attachment, bytes]]) -> bytes:
    """The JSON body of the POST (UTF-8, compact)."""
    document = {
        "id": outbound.external_id,
        "delivery_id": outbound.id,
        "ticket_id": outbound.ticket_id,
        "kind": outbound.kind.value,
        "channel": outbound.channel.value,
        "recipient": outbound.recipient,
        "conversation_id": outbound.conversation_id,
        "in_reply_to": outbound.in_reply_to,
        "subject": outbound.subject,
        "text": outbound.body,
        "attachments": [_attachment(a, data) for a, data in attachments],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookSender:
    """POSTs signed bodies; one HTTP client (connection pool) for its lifetime."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._clock = clock
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
        )

    def close(self) -> None:
        self._client.close()

    def send(self, url: str, secret: bytes, outbound: Outbound, body: bytes) -> None:
        """POST `body` to `url` signed with `secret`; DeliveryError unless answered 2xx."""
        timestamp = int(self._clock().timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": outbound.external_id,
            **signing.headers(secret, timestamp, body),
        }
        try:
            answer = self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError(f"webhook {_host(url)}: timed out", permanent=False) from None
        except httpx.HTTPError as exc:
            reason = one_line(str(exc)) or type(exc).__name__
            raise DeliveryError(f"webhook {_host(url)}: {reason}", permanent=False) from None
        if answer.is_success:
            return
        status = answer.status_code
        permanent = status < 500 and status not in TRANSIENT_STATUSES
        text = one_line(answer.text, 200)
        raise DeliveryError(
            f"webhook {_host(url)}: HTTP {status} {text}".rstrip(), permanent=permanent
        )


def _attachment(attachment: Attachment, data: bytes) -> dict[str, object]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "data": base64.b64encode(data).decode("ascii"),
    }


def _host(url: str) -> str:
    """The URL's host and port only: a webhook URL may carry a token in its path or query."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "(invalid URL)"
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host
