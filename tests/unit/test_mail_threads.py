"""The threading scenarios in `fixtures/mail/threads/` are complete and say what they mean.

The store's tests replay them against a real store; here the data itself is checked: every
mail a step names exists and parses, every decision is one the store can make and points
at a mail that came before, and once the placeholders are filled in, the mail carries the
tag or the reference its scenario relies on.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cstui.mail.parse import parse_message

THREADS = Path(__file__).resolve().parents[2] / "fixtures" / "mail" / "threads"
SCENARIOS = sorted(path.stem for path in THREADS.glob("*.json"))
DECISIONS = {"new", "append", "reopen", "new_linked", "duplicate"}
TICKET_ID = 4321  # any id: the replay puts the real one in


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((THREADS / f"{name}.json").read_text())
    return data


def _fill(raw: bytes) -> bytes:
    for placeholder in (b"{{ticket:01.eml}}", b"{{ticket:02.eml}}"):
        raw = raw.replace(placeholder, str(TICKET_ID).encode())
    return raw


def test_every_threading_case_is_covered() -> None:
    assert set(SCENARIOS) >= {
        "tag",
        "in-reply-to",
        "references",
        "same-subject",
        "same-subject-late",
        "reopen",
        "linked",
        "duplicate",
    }
    decisions = {
        step["expect"]["decision"]
        for name in SCENARIOS
        for step in _load(name)["steps"]
        if "mail" in step
    }
    assert decisions == DECISIONS


@pytest.mark.parametrize("name", SCENARIOS)
def test_steps_are_consistent(name: str) -> None:
    scenario = _load(name)
    assert scenario["about"]
    assert set(scenario["settings"]) == {"tag_prefix", "thread_days", "reopen_days"}
    seen: list[str] = []
    last = None
    for step in scenario["steps"]:
        at = datetime.fromisoformat(step["at"])
        assert at.tzinfo is not None and (last is None or at >= last)
        last = at
        if "mail" in step:
            expect = step["expect"]
            assert expect["decision"] in DECISIONS
            for key in ("ticket_of", "linked_to"):
                if key in expect:
                    assert expect[key] in seen
            assert ("ticket_of" in expect) == (
                expect["decision"] in {"append", "reopen", "duplicate"}
            )
            assert ("linked_to" in expect) == (expect["decision"] == "new_linked")
            assert (THREADS / name / step["mail"]).is_file()
            seen.append(step["mail"])
        else:
            assert step["do"] in {"reply", "close"}
            assert step["ticket_of"] in seen


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_mail_carries_what_its_decision_relies_on(name: str) -> None:
    replies = {
        step["message_id"].replace("{{ticket:01.eml}}", str(TICKET_ID))
        for step in _load(name)["steps"]
        if step.get("do") == "reply"
    }
    delivered: set[str] = set()
    for step in _load(name)["steps"]:
        if "mail" not in step:
            continue
        raw = _fill((THREADS / name / step["mail"]).read_bytes())
        parsed = parse_message(raw)
        if step["mail"] not in delivered:  # a redelivery arrives later with its old Date
            assert parsed.received_at == datetime.fromisoformat(step["at"])
        delivered.add(step["mail"])
        if b"[#" in raw:
            assert parsed.ticket_tag == TICKET_ID
        for reference in parsed.references:
            if reference.startswith("<cstui."):
                assert reference in replies
