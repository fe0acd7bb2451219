"""The console in a real pty, on a world whose every customer field carries terminal attacks:
the raw bytes it writes hold none of them (see `tests/hostile.py`); and markup in the data is
drawn as text.

Every pane is drawn: the queue row, the ticket (subject, order, escalation, thread), the
customer card masked and revealed, the status bar, the knowledge pane's results, and an
article inserted into the reply with its notification.
"""

from __future__ import annotations

import re
from pathlib import Path
from time import monotonic

import pytest
from textual.widgets._toast import Toast

from cstui.console.app import ConsoleConfig, StatusBar, build_app
from cstui.store import open_store
from tests.console.conftest import searched
from tests.hostile import AGENT, MARKUP, NOW, PAYLOADS, Pty, build_world, cstui_env, leaks
from tests.pilots import settle, until

COLS, ROWS = 200, 70
# The footer (the last row) redrawn with another first key than the queue's "⏎ Open": the
# focus has left the queue.
FOCUS_LEFT_QUEUE = re.compile(rb"\x1b\[%d;1H(?:\x1b\[[0-9;]*m)* (?!\xe2\x8f\x8e)\S" % ROWS)


def drive_console(pty: Pty) -> None:
    """Open every pane that shows outside text; each step waits until it is drawn."""
    pty.expect("AGENTNAME")  # the status bar: the store is open and the agent known
    pty.expect(f"SHORT{len(PAYLOADS)}")  # the `unassigned` view: a payload in each row
    at = pty.send("[")  # the `mine` view: the ticket's row, opened at once
    for tag in ("SUBJECT", "FIRSTMESSAGE", "MESSAGE", "NOTE", "ESCALATION"):
        pty.expect(tag, since=at)
    for tag in ("CUSTNAME", "TRACKING", "LOGISTICS", "MAILHOST", "ADDRESS"):
        pty.expect(tag, since=at)
    at = pty.send("v")  # reveal the contact: phone, email and address in full
    for tag in ("PHONE", "EMAIL", "STREET"):
        pty.expect(tag, since=at)
    at = pty.send("4")  # the knowledge pane's search box
    pty.expect(FOCUS_LEFT_QUEUE, since=at)
    at = pty.send("kbtitle")
    pty.expect("KBTITLE", since=at)
    pty.expect("KBBODY", since=at)
    # Enter in the box moves to the results, Enter on a result inserts it into a reply:
    # pressed until the insert is announced (an early one only moves to the results again).
    at, deadline = len(pty.out), monotonic() + 60
    while not pty.wait_for("Inserted", since=at, timeout=2):
        assert monotonic() < deadline, "the article was never inserted"
        pty.send("\r")
    pty.expect("KBBODY", since=at)  # the reply's text


@pytest.mark.slow
@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
def test_the_console_writes_no_attack_from_data(tmp_path: Path, hostile: bool) -> None:
    """`plain`: Textual by itself writes none of the sequences looked for, so `hostile`
    finding none means the data's were neutralised, not that the check cannot see them."""
    db = build_world(tmp_path / "world.db", hostile=hostile)
    with Pty(["--as", AGENT], cstui_env(db), cols=COLS, rows=ROWS) as pty:
        try:
            drive_console(pty)
        finally:
            found = leaks(bytes(pty.out))
            assert found == [], "\n".join(found)


async def test_markup_in_data_is_drawn_as_text(tmp_path: Path) -> None:
    """A Static's text and a notification are read as markup unless told otherwise: the
    agent's name in the status bar and an article's title in "Inserted …" are shown as
    they are (an action tag would run on a click)."""
    db = build_world(tmp_path / "world.db")
    config = ConsoleConfig(
        actor=AGENT,
        store_key=str(db),
        drafts_dir=tmp_path / "drafts",
        themes_dir=tmp_path / "themes",
    )
    app = build_app(lambda: open_store(str(db), clock=lambda: NOW), config, clock=lambda: NOW)
    async with app.run_test(size=(COLS, ROWS), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket", "4", *"kbtitle")
        await until(pilot, searched(app))
        assert f"{MARKUP}AGENTNAME-end (agent01)" in str(app.query_one(StatusBar).render())
        await pilot.press("enter", "enter")
        toasts: list[str] = []

        def inserted() -> bool:  # the article is in and its toast shown (for 3 s)
            toasts[:] = [str(toast.render()) for toast in app.screen.query(Toast)]
            return any("Inserted" in text for text in toasts)

        await until(pilot, inserted)
        assert any(f"{MARKUP}KBTITLE-end”" in text for text in toasts), toasts
