"""Signed webhooks: the signature is HMAC-SHA256 over "<timestamp>." + body, within 5 minutes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstui.domain import signing
from cstui.domain.signing import SignatureError, headers, sign, verify

SECRET = b"s3cret-key"
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
T = int(NOW.timestamp())
BODY = '{"message_id": "m1", "text": "退款"}'.encode()


def test_the_signature_is_the_documented_hmac() -> None:
    expected = hmac.new(SECRET, f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, T, BODY) == expected
    assert headers(SECRET, T, BODY) == {
        "X-Cstui-Timestamp": str(T),
        "X-Cstui-Signature": f"sha256={expected}",
    }


def test_a_good_signature_within_the_window_passes_either_side() -> None:
    for skew in (0, 299, -299, 300, -300):
        sent = T + skew
        signed = headers(SECRET, sent, BODY)
        assert verify(SECRET, *signed.values(), BODY, now=NOW) == sent


@pytest.mark.parametrize("skew", [301, -301, 3600, -86400])
def test_a_timestamp_outside_the_window_is_a_replay(skew: int) -> None:
    signed = headers(SECRET, T + skew, BODY)  # correctly signed, but at another time
    with pytest.raises(SignatureError, match="more than 5 minutes"):
        verify(SECRET, *signed.values(), BODY, now=NOW)


def test_the_window_is_a_parameter() -> None:
    signed = headers(SECRET, T - 20, BODY)
    with pytest.raises(SignatureError):
        verify(SECRET, *signed.values(), BODY, now=NOW, window=timedelta(seconds=10))


@pytest.mark.parametrize(
    ("timestamp", "signature", "problem"),
    [
        (None, "sha256=00", "send"),
        (str(T), None, "send"),
        ("", "", "send"),
        ("12.5", "sha256=00", "Unix seconds"),
        ("-5", "sha256=00", "Unix seconds"),
        ("٣٣٣", "sha256=00", "Unix seconds"),
        ("9" * 40, "sha256=00", "Unix seconds"),
        (str(T), sign(SECRET, T, BODY), "must be sha256="),
        (str(T), "sha256=" + sign(b"other", T, BODY), "does not match"),
        (str(T), "sha256=" + sign(SECRET, T + 1, BODY), "does not match"),
        (str(T), "sha256=" + sign(SECRET, T, BODY).upper(), "does not match"),
        (str(T), "sha256=" + sign(SECRET, T, BODY)[:-1] + "é", "does not match"),
    ],
)
def test_a_missing_or_wrong_signature_is_refused(
    timestamp: str | None, signature: str | None, problem: str
) -> None:
    with pytest.raises(SignatureError, match=problem) as refused:
        verify(SECRET, timestamp, signature, BODY, now=NOW)
    assert refused.value.http_status == 401


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=len(BODY) - 1))
def test_any_change_to_the_body_breaks_the_signature(extra: bytes, at: int) -> None:
    signed = headers(SECRET, T, BODY)
    tampered = BODY[:at] + bytes([BODY[at] ^ 1]) + BODY[at + 1 :]
    for body in (tampered, BODY + extra if extra else BODY + b" "):
        with pytest.raises(SignatureError):
            verify(SECRET, *signed.values(), body, now=NOW)


def test_the_comparison_is_constant_time() -> None:
    """hmac.compare_digest, not ==: read from the source, as timing cannot be asserted here."""
    import inspect

    assert "compare_digest" in inspect.getsource(signing.verify)
