"""The console's outbox: messages on disk until the store has them, each with one key."""

from __future__ import annotations

from pathlib import Path

from cstui.console.drafts import DraftBox, Outbox
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


def test_draft_savers_finishing_out_of_order_keep_the_newest_text(tmp_path: Path) -> None:
    """Each keystroke's saver runs in its own thread: whichever finishes last, the draft on
    disk is the last text typed."""
    drafts = DraftBox(tmp_path, "store", "agent01")
    drafts.stage(7, MessageKind.REPLY, "half-written answe")
    drafts.stage(7, MessageKind.REPLY, "half-written answer")
    drafts.save_staged(7, MessageKind.REPLY)  # the newer keystroke's saver, first
    drafts.save_staged(7, MessageKind.REPLY)  # the older one, late
    assert drafts.load(7, MessageKind.REPLY) == "half-written answer"


def test_a_saver_in_flight_does_not_bring_back_a_discarded_draft(tmp_path: Path) -> None:
    drafts = DraftBox(tmp_path, "store", "agent01")
    drafts.stage(7, MessageKind.NOTE, "已联系仓库")
    drafts.discard(7, MessageKind.NOTE)  # sent meanwhile
    drafts.save_staged(7, MessageKind.NOTE)
    assert drafts.load(7, MessageKind.NOTE) == ""
    assert drafts.pending() == []
