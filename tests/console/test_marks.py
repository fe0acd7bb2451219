"""Marks: cleared on a key and from the command palette; they belong to the view (or the
search) they were made in, so a bulk action never acts on rows the agent cannot see."""

from __future__ import annotations

from cstui.console.dialogs import FormDialog
from cstui.console.queue import QueueList, QueuePane
from tests.console.conftest import AppFactory
from tests.pilots import settle, until


async def test_marks_cleared_by_their_key(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.query_one(QueueList)
        await pilot.press("space", "space")
        assert len(queue.marked) == 2
        await pilot.press("minus")
        assert not queue.marked
        assert "marked" not in str(app.query_one(QueuePane).query_one("#queue-status").render())


async def test_marks_cleared_from_the_palette(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.query_one(QueueList)
        await pilot.press("space", "space", "space")
        assert len(queue.marked) == 3
        await pilot.press("ctrl+p", *"Clear marks")
        await settle(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: not queue.marked)


async def test_marks_from_a_search_stay_with_the_search(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue, pane = app.query_one(QueueList), app.query_one(QueuePane)
        await pilot.press("ctrl+f", *"退款", "enter")
        await settle(pilot)
        await pilot.press("space", "space")
        searched = set(queue.marked)
        assert len(searched) == 2
        await pilot.press("right_square_bracket")  # another view: its own (no) marks
        await settle(pilot)
        assert pane.search is None and not queue.marked
        await pilot.press("s")  # status: on the cursor's ticket, not on unseen marked rows
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        assert "marked" not in app.screen.title_text
        await pilot.press("escape")
        await pilot.press("left_square_bracket")  # back in Unassigned: none marked there
        await settle(pilot)
        assert not queue.marked
        await pilot.press("ctrl+f", *"退款", "enter")  # the same search: its marks again
        await settle(pilot)
        assert set(queue.marked) == searched
