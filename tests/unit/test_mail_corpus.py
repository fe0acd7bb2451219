"""Every mail in the corpus (`fixtures/mail/`) parses to the facts `expected.json` lists.

The corpus imitates what real clients send (Foxmail's GBK under a GB2312 label, QQ Mail's
and Outlook's quoting, Postfix's bounces …); the facts were written by hand beside each
mail in `make_corpus.py`, so a parser change that reads one of them differently fails here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cstui.domain.channels import AutoKind, Inbound
from cstui.mail import survey_answer
from cstui.mail.parse import DEFAULT_MAX_ATTACHMENT_BYTES, parse_message
from cstui.mail.subject import normalise

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())["mails"]
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _parse(name: str) -> Inbound:
    facts = EXPECTED[name]
    limit = facts.get("max_attachment_bytes", DEFAULT_MAX_ATTACHMENT_BYTES)
    return parse_message((CORPUS / name).read_bytes(), max_attachment_bytes=limit, now=NOW)


def test_every_mail_has_facts_and_every_fact_a_mail() -> None:
    on_disk = {path.name for path in CORPUS.glob("*.eml")}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_headers(name: str) -> None:
    facts, parsed = EXPECTED[name], _parse(name)
    assert parsed.subject == facts["subject"]
    assert normalise(parsed.subject) == facts["normalised"]
    assert parsed.ticket_tag == facts["tag"]
    assert parsed.sender_address == facts["sender"]
    assert parsed.sender_name == facts["sender_name"]
    assert parsed.received_at == datetime.fromisoformat(facts["received_at"])
    assert parsed.received_at.tzinfo is not None
    assert parsed.references == tuple(facts.get("references", parsed.references))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_message_id(name: str) -> None:
    expected = EXPECTED[name]["message_id"]
    raw = (CORPUS / name).read_bytes()
    if expected == "synthetic":
        expected = f"<sha256.{hashlib.sha256(raw).hexdigest()}@cstui.invalid>"
    assert parse_message(raw, now=NOW).external_id == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_auto_and_bounce(name: str) -> None:
    facts, parsed = EXPECTED[name], _parse(name)
    assert parsed.auto is AutoKind(facts["auto"])
    assert parsed.bounced_id == facts["bounced_id"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_text(name: str) -> None:
    facts, parsed = EXPECTED[name], _parse(name)
    for wanted in facts["text_has"]:
        assert wanted in parsed.text
        assert wanted in parsed.full_text
    for unwanted in facts["text_lacks"]:
        assert unwanted not in parsed.text
    for wanted in facts["full_has"]:
        assert wanted in parsed.full_text
    assert "\r" not in parsed.text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_attachments(name: str) -> None:
    facts, parsed = EXPECTED[name], _parse(name)
    got = [(a.filename, a.content_type, a.inline) for a in parsed.attachments]
    assert got == [(a["name"], a["type"], a["inline"]) for a in facts["attachments"]]
    for attachment, expected in zip(parsed.attachments, facts["attachments"], strict=True):
        if "size" in expected:
            assert len(attachment.data) == expected["size"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_survey_answer(name: str) -> None:
    assert survey_answer(_parse(name).text) == EXPECTED[name].get("survey")


def test_the_same_bytes_get_the_same_synthetic_id() -> None:
    raw = (CORPUS / "no-message-id.eml").read_bytes()
    first = parse_message(raw, now=NOW).external_id
    assert parse_message(raw, now=NOW).external_id == first
    assert parse_message(raw + b"\r\n", now=NOW).external_id != first


def test_attachment_bytes_are_kept_whole() -> None:
    photo = (CORPUS / "parts" / "photo.jpg").read_bytes()
    parsed = _parse("attach-jpeg-photo.eml")
    assert parsed.attachments[0].data == photo


def test_an_attachment_under_the_limit_is_kept() -> None:
    raw = (CORPUS / "attach-huge.eml").read_bytes()
    parsed = parse_message(raw, max_attachment_bytes=120_000, now=NOW)
    assert [a.filename for a in parsed.attachments] == ["unboxing.mp4"]
    assert "not kept" not in parsed.full_text
