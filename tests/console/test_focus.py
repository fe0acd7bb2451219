"""One focus model: Escape leaves a text box for its pane and a pane for the queue; after a
send the focus goes back where the agent was before writing; keys that act never type
into a box the agent did not choose."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input, TextArea

from cstui.console.app import CstuiApp
from cstui.console.knowledge import KnowledgePane
from cstui.console.queue import QueueList
from cstui.console.ticket import TicketPane
from cstui.domain.model import MessageKind
from cstui.store import SqlStore
from tests.console.conftest import AppFactory, searched
from tests.pilots import settle, until


def in_pane(app: CstuiApp, pane: type[Widget]) -> bool:
    node = app.focused
    return node is not None and any(isinstance(n, pane) for n in (node, *node.ancestors))


def typing(app: CstuiApp) -> bool:
    return isinstance(app.focused, Input | TextArea)


async def test_focus_escape_in_the_reply_editor_goes_to_the_ticket_then_q_quits(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t", "r", *"half")
        await settle(pilot)
        assert isinstance(app.focused, TextArea)
        await pilot.press("escape")
        await settle(pilot)
        assert in_pane(app, TicketPane) and not typing(app)
        assert app.query_one("#queue-filter", Input).value == ""
        await pilot.press("escape")
        assert isinstance(app.focused, QueueList)
        await pilot.press("q")
        await until(pilot, lambda: app._exit)  # q quits; it typed nowhere


async def test_focus_after_a_send_goes_back_where_the_agent_was(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = app.queue.current.id  # type: ignore[union-attr]
        await pilot.press("t", "r", *"on its way", "ctrl+s")
        await until(pilot, lambda: any(m.body == "on its way" for m in store.messages(ticket_id)))
        assert isinstance(app.focused, QueueList)
        # Written from the knowledge pane's results: back to the results, not its search box.
        await pilot.press("4", *"退款")
        await until(pilot, searched(app))
        await pilot.press("enter", "enter", "ctrl+s")
        await until(pilot, lambda: not app.ticket_pane.composer.is_open)
        assert in_pane(app, KnowledgePane) and not typing(app)
        await pilot.press("2")  # a key that acts: it moves the focus, it is not typed
        assert in_pane(app, TicketPane) and not typing(app)
        assert app.query_one("#kb-query", Input).value == "退款"
        kinds = [m.kind for m in store.messages(ticket_id)]
        assert kinds.count(MessageKind.REPLY) >= 2


async def test_focus_escape_leaves_the_knowledge_search_and_the_filter(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4", *"退款")
        await until(pilot, searched(app))
        await pilot.press("escape")
        assert in_pane(app, KnowledgePane) and not typing(app)
        await pilot.press("escape")
        assert isinstance(app.focused, QueueList)

        whole = len(app.queue.window)
        await pilot.press("slash", *"zzz-none")
        await until(pilot, lambda: len(app.queue.window) == 0)
        await pilot.press("escape")
        assert isinstance(app.focused, QueueList)
        assert not app.pane.has_class("filtering")
        await until(pilot, lambda: len(app.queue.window) == whole)

        await pilot.press("ctrl+f", *"abc", "escape")
        assert isinstance(app.focused, QueueList)
        assert not app.pane.has_class("searching")
