"""The console's ticket search (ctrl+f) and bulk actions on marked rows (space, *)."""

from __future__ import annotations

from cstui.console.dialogs import FormDialog
from cstui.console.queue import QueueList, QueuePane
from cstui.domain.model import MatchField, MessageKind
from cstui.store import SqlStore
from cstui.store.base import View
from tests.console.conftest import AppFactory
from tests.console.test_workflows import errors, infos
from tests.pilots import settle


def rows(app: object) -> list[int]:
    queue = app.query_one(QueueList)  # type: ignore[attr-defined]
    return [t.id for t in queue.window.rows()]


def warnings(app: object) -> list[str]:
    return [m for severity, m in app.notices if severity == "warning"]  # type: ignore[attr-defined]


async def test_search_finds_a_ticket_outside_the_view_by_its_order_number(
    make_app: AppFactory, store: SqlStore
) -> None:
    closed = store.list_tickets(View.CLOSED, actor=None, limit=50).items
    target = next(t for t in closed if t.order is not None)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert target.id not in rows(app)  # not in the unassigned view
        await pilot.press("ctrl+f", *target.order.number, "enter")  # type: ignore[union-attr]
        await settle(pilot)
        assert rows(app)[0] == target.id
        match = app.query_one(QueueList).matches[target.id]  # drawn in place of the subject
        assert match.field is MatchField.ORDER and match.highlights
        pane = app.query_one(QueuePane)
        assert pane.search == target.order.number  # type: ignore[union-attr]
        assert "found" in str(pane.query_one("#queue-status").render())
        await pilot.press("right_square_bracket")  # a view replaces the results
        await settle(pilot)
        assert pane.search is None and pane.view is View.ALL_OPEN


async def test_a_malformed_search_says_what_is_wrong(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"statu:open", "enter")
        await settle(pilot)
        assert any("unknown filter 'statu'" in m for m in errors(app)), app.notices


async def test_slash_filters_the_search_results(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"退款", "enter")
        await settle(pilot)
        found = rows(app)
        hits = store.search_tickets("退款", actor=None, limit=100).items
        assert found[:20] == [h.ticket.id for h in hits][:20]
        await pilot.press("slash", *"vip")
        await settle(pilot)
        queue = app.query_one(QueueList)
        assert queue.window.needle == "vip" and set(rows(app)) <= set(found)


async def test_take_on_marked_rows_reports_each_refusal(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.query_one(QueueList).focus()
        await pilot.press("space", "space", "space")
        queue = app.query_one(QueueList)
        marked = list(queue.marked)
        assert len(marked) == 3 and marked == rows(app)[:3]
        store.take(marked[1], actor="agent02")  # someone else, meanwhile
        await pilot.press("t")
        await settle(pilot)
        assert [store.get_ticket(tid).owner for tid in marked] == ["agent01", "agent02", "agent01"]
        summary = warnings(app)[-1]
        assert "2 of 3" in summary and f"#{marked[1]}" in summary and "agent02" in summary
        assert list(queue.marked) == [marked[1]]  # the refused one stays marked


async def test_mark_all_then_note_and_status_on_the_marked(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"owner:agent01 status:open", "enter")
        await settle(pilot)
        mine = rows(app)
        assert mine
        await pilot.press("asterisk")
        queue = app.query_one(QueueList)
        assert set(queue.marked) == set(mine)
        await pilot.press("i")
        assert isinstance(app.screen, FormDialog)
        await pilot.press(*"已催仓库", "enter")
        await settle(pilot)
        assert all(
            any(m.body == "已催仓库" and m.kind is MessageKind.NOTE for m in store.messages(t))
            for t in mine
        )
        assert any(f"{len(mine)} of {len(mine)}" in m for m in infos(app)), app.notices
        assert not queue.marked


async def test_escalate_and_status_on_the_marked(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"owner:agent01 status:open", "enter")
        await settle(pilot)
        await pilot.press("space", "space")
        marked = list(app.query_one(QueueList).marked)
        assert len(marked) == 2
        await pilot.press("e")
        assert isinstance(app.screen, FormDialog)
        await pilot.press("enter", *"破损", "enter")  # warehouse is first
        await settle(pilot)
        for tid in marked:
            escalations = store.get_ticket(tid).escalations
            assert [(e.department.value, e.reason) for e in escalations][-1] == (
                "warehouse",
                "破损",
            )
        await pilot.press("space", "space", "s")  # the rows are marked again
        await pilot.press("down", "enter")  # pending (open is first)
        await settle(pilot)
        assert all(store.get_ticket(tid).status.value == "pending" for tid in marked)
