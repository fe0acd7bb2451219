"""Resize: the layout follows the terminal's current size on every resize (four panes when
wide, one at a time when narrow), whichever way the size goes."""

from __future__ import annotations

from tests.console.conftest import AppFactory
from tests.pilots import settle, until


async def test_resize_takes_the_layout_of_the_new_size_each_time(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for width, narrow in ((120, False), (80, True), (40, True), (120, False), (80, True)):
            await pilot.resize_terminal(width, 40)
            await until(pilot, lambda w=width: app.screen.size.width == w)
            assert app.screen.has_class("-narrow") is narrow, width
            shown = [p for p in app.query("#panes > *") if p.display and p.region.width]
            assert (len(shown) == 1) is narrow, (width, [p.id for p in shown])


async def test_resize_under_a_dialog_reaches_the_panes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        await pilot.press("question_mark")  # help, over the panes
        await until(pilot, lambda: app.screen is not main)
        await pilot.resize_terminal(60, 40)
        await until(pilot, lambda: app.screen.size.width == 60)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main)
        assert main.has_class("-narrow")
