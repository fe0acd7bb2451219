"""The thread scenarios of the mail corpus (`fixtures/mail/threads/`) replayed through the
parser and the store, on SQLite and PostgreSQL: every decision is the corpus's expected one.

A scenario's steps are mails (parsed as `cstui mail ingest` parses them, at the step's
time) and what agents do meanwhile (a reply carrying a given Message-ID, a close);
"{{ticket:NAME}}" in a mail or an id stands for the ticket that mail went to.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from cstui.domain.model import MessageKind, ResolutionCode, Status
from cstui.domain.rules import ChannelPolicy
from cstui.mail.parse import parse_message
from cstui.store import SqlStore
from cstui.store.schema import DELIVERIES
from tests.conftest import FakeClock
from tests.store.inbound import with_policy

THREADS = Path(__file__).parents[2] / "fixtures" / "mail" / "threads"
SCENARIOS = sorted(p.stem for p in THREADS.glob("*.json"))
_TEMPLATE = re.compile(r"\{\{ticket:([^}]+)\}\}")


class Replay:
    def __init__(self, store: SqlStore, clock: FakeClock, folder: Path) -> None:
        self.store, self.clock, self.folder = store, clock, folder
        self.tickets: dict[str, int] = {}

    def fill(self, text: str) -> str:
        return _TEMPLATE.sub(lambda m: str(self.tickets[m.group(1)]), text)

    def ticket(self, name: str) -> int:
        return self.tickets[name]

    def owned(self, name: str) -> int:
        tid = self.ticket(name)
        if self.store.ticket_owner(tid) is None:
            self.store.take(tid, actor="alice")
        return tid

    def mail(self, step: dict[str, Any]) -> None:
        raw = self.fill(
            (self.folder / step["mail"]).read_bytes().decode("utf-8", "surrogateescape")
        )
        policy = self.store.rules.channels
        message = parse_message(
            raw.encode("utf-8", "surrogateescape"), tag_prefix=policy.tag_prefix, now=self.clock.now
        )
        done = self.store.ingest_traced(message)
        expect = step["expect"]
        where = f"{self.folder.name} {step['mail']} at {step['at']}"
        assert done.decision.action.value == expect["decision"], where
        out = done.outcome
        if "ticket_of" in expect:
            assert out.ticket_id == self.ticket(expect["ticket_of"]), where
        if "linked_to" in expect:
            assert out.linked_to == self.ticket(expect["linked_to"]), where
        if expect["decision"] in ("new", "new_linked"):
            assert out.ticket_id not in self.tickets.values(), where
        if "auto" in expect:
            assert message.auto.value == expect["auto"], where
        self.tickets.setdefault(step["mail"], out.ticket_id or 0)

    def reply(self, step: dict[str, Any]) -> None:
        tid = self.owned(step["ticket_of"])
        sent = self.store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="您好")
        with self.store.engine.begin() as conn:  # the id the scenario's mails answer
            conn.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.message_id == sent.id)
                .values(external_id=self.fill(step["message_id"]))
            )

    def close(self, step: dict[str, Any]) -> None:
        tid = self.owned(step["ticket_of"])
        self.store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
        self.store.set_status(tid, actor="alice", status=Status.CLOSED)


@pytest.mark.parametrize("name", SCENARIOS)
def test_thread_scenario(name: str, store: SqlStore, clock: FakeClock) -> None:
    scenario = json.loads((THREADS / f"{name}.json").read_text(encoding="utf-8"))
    s = scenario["settings"]
    with_policy(
        store,
        tag_prefix=s["tag_prefix"],
        thread_window=ChannelPolicy().thread_window * (s["thread_days"] / 7),
        reopen_window=ChannelPolicy().reopen_window * (s["reopen_days"] / 7),
    )
    replay = Replay(store, clock, THREADS / name)
    for step in scenario["steps"]:
        clock.now = datetime.fromisoformat(step["at"])
        if "mail" in step:
            replay.mail(step)
        else:
            getattr(replay, step["do"])(step)


def test_every_scenario_is_replayed() -> None:
    assert len(SCENARIOS) >= 10
