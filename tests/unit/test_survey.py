"""CSAT survey links: signed, URL-safe, expiring; the question in Chinese and English."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstui.domain.survey import (
    BadToken,
    ExpiredToken,
    make_token,
    read_token,
    survey_links,
    survey_text,
)

SECRET = b"survey-secret"
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=14)


def test_a_token_reads_back_its_ticket_until_it_expires() -> None:
    token = make_token(1234, secret=SECRET, expires=LATER)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", token)  # URL-safe as it is
    assert read_token(token, secret=SECRET, now=NOW) == 1234
    assert read_token(token, secret=SECRET, now=LATER - timedelta(seconds=1)) == 1234
    with pytest.raises(ExpiredToken) as expired:
        read_token(token, secret=SECRET, now=LATER)
    assert expired.value.http_status == 410


def test_another_secret_another_ticket_or_a_longer_life_is_refused() -> None:
    token = make_token(1234, secret=SECRET, expires=LATER)
    ticket, expiry, mac = token.split(".")
    forged = [
        make_token(1234, secret=b"other", expires=LATER),
        f"1235.{expiry}.{mac}",
        f"{ticket}.{int(expiry) + 86400}.{mac}",
        f"{ticket}.{expiry}.{mac[:-1]}A" if mac[-1] != "A" else f"{ticket}.{expiry}.{mac[:-1]}B",
        token + "x",
        "",
        "1.2.3",
        "0." + token.split(".", 1)[1],
        token.replace(".", "%2E"),
        "١٢٣٤." + token.split(".", 1)[1],  # Arabic-Indic digits are not ours
    ]
    for bad in forged:
        with pytest.raises(BadToken) as refused:
            read_token(bad, secret=SECRET, now=NOW)
        assert refused.value.http_status == 404, bad


@given(st.text(max_size=120))
def test_any_text_is_refused_or_read_never_a_crash(text: str) -> None:
    try:
        read_token(text, secret=SECRET, now=NOW)
    except BadToken:
        return
    raise AssertionError(f"accepted {text!r}")


def test_the_survey_text_has_five_links_and_the_digit_reply_in_both_languages() -> None:
    token = make_token(42, secret=SECRET, expires=LATER)
    links = survey_links("https://cs.example.com/", token)
    assert links == [f"https://cs.example.com/csat/{token}?score={s}" for s in range(1, 6)]
    zh = survey_text(42, "退款没到账", links, "zh")
    en = survey_text(42, "refund", links, "en")
    for text in (zh, en):
        assert [text.count(link) for link in links] == [1] * 5
        assert "#42" in text and "1–5" in text
    assert "退款没到账" in zh and "回复" in zh and "非常满意" in zh
    assert "reply with a digit 1–5" in en and "very satisfied" in en
    with pytest.raises(ValueError):
        survey_text(42, "x", links[:4], "en")
