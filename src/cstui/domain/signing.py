"""Signed webhooks: the HMAC-SHA256 both ways between cstui and a chat, app or social platform.

A request carries `X-Cstui-Timestamp: <Unix seconds>` and `X-Cstui-Signature: sha256=<hex>`,
the hex HMAC-SHA256 under the channel's secret of `"<timestamp>." + body` (the raw bytes, as
sent). The timestamp is signed with the body, so a captured request cannot be sent again
later than the window allows, nor with another time. The intake route verifies what comes
in; the webhook sender signs what goes out, the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from cstui.errors import Unauthorized

TIMESTAMP_HEADER = "X-Cstui-Timestamp"
SIGNATURE_HEADER = "X-Cstui-Signature"
SCHEME = "sha256="
WINDOW = timedelta(minutes=5)
# A Unix time in seconds has 10 digits until 2286; anything longer is not one.
MAX_TIMESTAMP_DIGITS = 12


class SignatureError(Unauthorized):
    """A request whose signature is missing or wrong, or whose time is outside the window
    (a replay): refused with 401, nothing done."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>." + body` under `secret`."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def headers(secret: bytes, timestamp: int, body: bytes) -> dict[str, str]:
    """The two headers that sign `body` at `timestamp`."""
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: SCHEME + sign(secret, timestamp, body),
    }


def verify(
    secret: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: datetime,
    window: timedelta = WINDOW,
) -> int:
    """The request's timestamp, if its signature is right and its time within `window` of
    `now` (either side: a sender's clock may run a little ahead); SignatureError otherwise.

    The message never says which part was wrong beyond missing/stale/bad, and the comparison
    takes the same time whatever the signature's first wrong character.
    """
    if not timestamp_header or not signature_header:
        raise SignatureError(f"signature: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    timestamp = _timestamp(timestamp_header)
    if abs(now.timestamp() - timestamp) > window.total_seconds():
        raise SignatureError(
            f"signature: {TIMESTAMP_HEADER} is more than {_span(window)} from the server's time"
        )
    given = signature_header.strip()
    if not given.startswith(SCHEME):
        raise SignatureError(f"signature: {SIGNATURE_HEADER} must be {SCHEME}<hex>")
    expected = SCHEME + sign(secret, timestamp, body)
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters.
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape")):
        raise SignatureError("signature: does not match the body")
    return timestamp


def _timestamp(text: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_TIMESTAMP_DIGITS):
        raise SignatureError(f"signature: {TIMESTAMP_HEADER} must be Unix seconds")
    return int(value)


def _span(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"
