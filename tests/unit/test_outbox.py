"""The console's outbox: messages on disk until the store has them, each with one key."""

from __future__ import annotations

from pathlib import Path

from cstui.console.drafts import Outbox
from cstui.domain.model import MessageKind


def test_a_message_outlives_the_process_with_its_key(tmp_path: Path) -> None:
    box = Outbox(tmp_path, "http://team:8787", "alice")
    first = box.put(7, MessageKind.REPLY, "您好，已为您补发")
    second = box.put(9, MessageKind.NOTE, "call back at 3")
    again = Outbox(tmp_path, "http://team:8787", "alice")  # a restarted console
    assert again.pending() == [first, second]  # oldest first, keys unchanged
    assert again.count() == 2
    again.remove(first)
    assert box.pending() == [second]


def test_keys_differ_even_for_the_same_text(tmp_path: Path) -> None:
    box = Outbox(tmp_path, "db", "alice")
    a, b = box.put(7, MessageKind.REPLY, "好的"), box.put(7, MessageKind.REPLY, "好的")
    assert a.key != b.key  # the same words twice are two messages, not one retried


def test_each_agent_and_store_has_its_own(tmp_path: Path) -> None:
    Outbox(tmp_path, "db", "alice").put(7, MessageKind.REPLY, "x")
    assert Outbox(tmp_path, "db", "bob").pending() == []
    assert Outbox(tmp_path, "other.db", "alice").pending() == []
