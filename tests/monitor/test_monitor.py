"""The supervisor's monitor driven with Pilot on a seeded store at a pinned time.

Figures are checked against an independent replay of the log (tests/cli/test_report.py),
counts against plain SQL on the file, and every action against the store afterwards.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cstui import i18n
from cstui.domain.model import Category, Channel, EscalationState, EventKind
from cstui.domain.report import window
from cstui.monitor.app import MonitorApp
from cstui.monitor.widgets import FloorTable
from cstui.reporting import value_text
from cstui.store import SqlStore
from cstui.store.base import NewTicket
from tests.cli.test_report import replay
from tests.monitor.conftest import NOW, SHANGHAI, MonitorFactory
from tests.pilots import settle


def table(app: MonitorApp, table_id: str) -> FloorTable:
    return app.query_one(f"#{table_id}", FloorTable)


def cells(app: MonitorApp, table_id: str) -> dict[str, tuple[str, ...]]:
    return {row.key: row.cells for row in table(app, table_id).rows_shown}


async def select(pilot: Any, tab_key: str, table_id: str, row_key: str) -> None:
    """Open a tab and put the cursor on a row, as arrow keys would."""
    await pilot.press(tab_key)
    grid = table(pilot.app, table_id)
    grid.move_cursor(row=grid.get_row_index(row_key), animate=False)
    await pilot.pause()


async def act(pilot: Any) -> None:
    await pilot.press("a")
    await pilot.pause()
    assert pilot.app.acting


# --- what it shows ---------------------------------------------------------------------


async def test_figures_equal_an_independent_replay(
    make_monitor: MonitorFactory, store: SqlStore
) -> None:
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        recent, month = app.recent, app.month
        assert recent is not None and month is not None
        shown = cells(app, "figure-table")
    log = list(store.events())
    for name, metrics in (("day", recent.today), ("week", recent.week), ("month", month.current)):
        w = window(NOW, name, SHANGHAI)  # type: ignore[arg-type]
        expected = replay(log, w.since, w.until)
        assert expected["csat"] is not None or name == "day"
        for figure, value in expected.items():
            got = getattr(metrics, figure)
            got = got.total_seconds() if isinstance(got, timedelta) else got
            assert got == (None if value is None else pytest.approx(value)), (name, figure)
            column = {"day": 2, "week": 3, "month": 4}[name]
            assert shown[figure][column] == value_text(figure, value), (name, figure)


async def test_an_earlier_month_is_replayed_on_request(
    make_monitor: MonitorFactory, store: SqlStore
) -> None:
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7", "left_square_bracket")
        await settle(pilot)
        shown = cells(app, "figure-table")
        title = str(app.query_one("#figures-title").render())
        await pilot.press("right_square_bracket", "right_square_bracket")  # not past November
        await settle(pilot)
        assert app.month is not None and app.month.window.start.month == 11
    october = window(NOW - timedelta(days=30), "month", SHANGHAI)
    expected = replay(list(store.events()), october.since, october.until)
    assert "2026-10-01 – 2026-10-31" in title
    for figure, value in expected.items():
        assert shown[figure][4] == value_text(figure, value), figure


def test_month_columns_wait_for_their_replay() -> None:
    from cstui.domain.report import DEFAULT_GOALS
    from cstui.monitor.rows import figure_rows

    rows = {r.key: r.cells for r in figure_rows(None, None, DEFAULT_GOALS)}
    assert rows["csat"][1:] == ("≥ 90.0%", "…", "…", "…", "…", "—")


async def test_queue_depth_matches_plain_sql(make_monitor: MonitorFactory, world: Path) -> None:
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = cells(app, "depth")
    db = sqlite3.connect(world)
    try:
        open_count = db.execute("SELECT COUNT(*) FROM tickets WHERE active = 1").fetchone()[0]
        unassigned = db.execute(
            "SELECT COUNT(*) FROM tickets WHERE active = 1 AND owner_id IS NULL"
        ).fetchone()[0]
        chat = db.execute(
            "SELECT COUNT(*) FROM tickets WHERE active = 1 AND channel = 'chat'"
        ).fetchone()[0]
        vip = db.execute(
            "SELECT COUNT(*) FROM tickets WHERE active = 1 AND tier = 'vip'"
        ).fetchone()[0]
    finally:
        db.close()
    assert shown["view:all-open"][2] == str(open_count)
    assert shown["view:unassigned"][2] == str(unassigned)
    assert shown["channel:chat"][2] == str(chat)
    assert shown["tier:vip"][2] == str(vip)
    assert 0 < unassigned < open_count


async def test_green_tickets_are_pinned_with_their_countdown(
    make_monitor: MonitorFactory, store: SqlStore
) -> None:
    board = store.green_board()
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")  # on any tab, the strip stays
        strip = str(app.query_one("#green-strip").render())
    assert f"({len(board)})" in strip
    assert f"#{board[0].ticket_id}" in strip


async def test_store_calls_never_run_on_the_ui_thread(
    make_monitor: MonitorFactory, world: Path
) -> None:
    from cstui.domain.rules import Rules
    from cstui.monitor.app import MonitorConfig, build_monitor
    from cstui.store import open_store
    from tests.monitor.conftest import fixed_clock

    threads: set[str] = set()

    class Recording:
        """The real store; each call notes the thread it ran on."""

        def __init__(self, inner: SqlStore) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            attr = getattr(self.inner, name)
            if not callable(attr):
                return attr

            def call(*args: Any, **kwargs: Any) -> Any:
                threads.add(threading.current_thread().name)
                return attr(*args, **kwargs)

            return call

    def opener() -> Any:
        threads.add(threading.current_thread().name)
        return Recording(open_store(str(world), rules=Rules(), clock=fixed_clock))

    app = build_monitor(opener, MonitorConfig(actor="sup01", tz=SHANGHAI), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.floor is not None and app.recent is not None and app.month is not None
        ui = threading.current_thread().name
    assert threads and ui not in threads


async def test_a_new_ticket_shows_on_refresh(make_monitor: MonitorFactory, store: SqlStore) -> None:
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = int(cells(app, "depth")["view:all-open"][2])
        customer = store.list_tickets(store_view("all-open"), actor=None, limit=1).items[0].customer
        store.create_ticket(NewTicket(customer.id, "又来问", "body", Channel.CHAT, Category.REFUND))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert int(cells(app, "depth")["view:all-open"][2]) == before + 1


def store_view(name: str) -> Any:
    from cstui.store.base import View

    return View(name)


async def test_fits_80_by_24_in_16_colours(make_monitor: MonitorFactory) -> None:
    app = make_monitor(theme="cstui-ansi")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "cstui-ansi"
        header = app.query_one("#monitor-header")
        assert header.region.y == 0 and header.region.width == 80
        await pilot.press("7")
        await settle(pilot)
        figures = table(app, "figure-table")
        assert figures.virtual_size.width <= 80  # every column of the figures is on screen
        assert figures.region.bottom <= 24


async def test_chinese_labels(make_monitor: MonitorFactory) -> None:
    i18n.set_language("zh")
    try:
        app = make_monitor()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            header = str(app.query_one("#monitor-header").render())
            rows = cells(app, "figure-table")
    finally:
        i18n.set_language("en")
    assert "只读" in header
    assert rows["csat"][0] == "满意度"


# --- read-only unless a supervisor acts ---------------------------------------------------


async def test_read_only_keys_do_nothing(make_monitor: MonitorFactory, store: SqlStore) -> None:
    pending = store.pending_transfers()[0]
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await select(pilot, "6", "transfer-table", str(pending.id))
        await pilot.press("y")
        await settle(pilot)
    assert pending.id in {t.id for t in store.pending_transfers()}


async def test_an_agent_cannot_switch_to_acting(make_monitor: MonitorFactory) -> None:
    app = make_monitor(actor="agent01")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert not app.acting
        assert app.notices[-1] == ("warning", i18n.t("monitor.not_supervisor"))


# --- supervisor actions ------------------------------------------------------------------


async def test_approve_and_deny_transfers(make_monitor: MonitorFactory, store: SqlStore) -> None:
    """Approving names the ticket (not the request's id); denying asks a reason, which is
    kept in the event and sent to the agent who asked."""
    first, second = store.pending_transfers()[:2]
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await act(pilot)
        await select(pilot, "6", "transfer-table", str(first.id))
        await pilot.press("y")
        await settle(pilot)
        assert i18n.t("monitor.approved", id=first.ticket_id, to=first.to_agent) in [
            text for _, text in app.notices
        ]
        await select(pilot, "6", "transfer-table", str(second.id))
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"他今天满单")
        await pilot.press("enter")
        await settle(pilot)
        assert str(first.id) not in cells(app, "transfer-table")
        assert str(second.id) not in cells(app, "transfer-table")
    (denied,) = [
        e for e in store.events(ticket_id=second.ticket_id) if e.kind is EventKind.TRANSFER_DENIED
    ]
    assert denied.new == {"request_id": second.id, "note": "他今天满单"}
    assert store.get_ticket(first.ticket_id).owner == first.to_agent
    assert store.get_ticket(second.ticket_id).owner == second.from_owner
    decided = {
        e.kind: e.actor
        for e in store.events()
        if e.ticket_id in (first.ticket_id, second.ticket_id)
    }
    assert decided[EventKind.TRANSFER_APPROVED] == "sup01"
    assert decided[EventKind.TRANSFER_DENIED] == "sup01"


async def test_reassign_with_a_reason_is_audited(
    make_monitor: MonitorFactory, store: SqlStore
) -> None:
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        owned = next(t for t in app.floor.sla if t.owner)  # type: ignore[union-attr]
        await act(pilot)
        await select(pilot, "2", "sla-table", str(owned.id))
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        options = dialog.query_one("OptionList")
        target = next(
            i
            for i in range(options.option_count)
            if options.get_option_at_index(i).id not in (owned.owner, None)
        )
        to = options.get_option_at_index(target).id
        options.highlighted = target
        await pilot.press("enter")
        await pilot.press(*"客户要求换人")
        await pilot.press("enter")
        await settle(pilot)
    assert store.get_ticket(owned.id).owner == to
    (moved,) = [e for e in store.events(ticket_id=owned.id) if e.kind is EventKind.TRANSFERRED]
    assert moved.actor == "sup01" and moved.new == {"owner": to, "reason": "客户要求换人"}


async def test_put_on_the_green_channel(make_monitor: MonitorFactory, store: SqlStore) -> None:
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        plain = next(t for t in app.floor.sla if not t.green_channel)  # type: ignore[union-attr]
        await act(pilot)
        await select(pilot, "2", "sla-table", str(plain.id))
        await pilot.press("g")
        await pilot.pause()
        await pilot.press(*"冷链")
        await pilot.press("enter")
        await settle(pilot)
        assert str(plain.id) in cells(app, "green-table")
        left = cells(app, "green-table")[str(plain.id)][3]
    assert store.get_ticket(plain.id).green_channel
    assert left == i18n.t("due.in", left="2h00m")  # the clock is pinned: a full two hours


async def test_acknowledge_an_escalation(make_monitor: MonitorFactory, store: SqlStore) -> None:
    waiting = next(e for e in store.waiting_escalations() if e.state is EscalationState.REQUESTED)
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await act(pilot)
        await select(pilot, "4", "esc-table", str(waiting.id))
        await pilot.press("k")
        await settle(pilot)
        assert cells(app, "esc-table")[str(waiting.id)][4] == i18n.label(
            EscalationState.ACKNOWLEDGED
        )
    state = {e.id: e.state for e in store.waiting_escalations()}[waiting.id]
    assert state is EscalationState.ACKNOWLEDGED


async def test_pause_and_resume_an_agents_routing(
    make_monitor: MonitorFactory, store: SqlStore
) -> None:
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await act(pilot)
        await select(pilot, "5", "agent-table", "agent01")
        await pilot.press("p")
        await settle(pilot)
        assert store.get_agent("agent01").routing_paused
        assert cells(app, "agent-table")["agent01"][2] == i18n.t("monitor.state.paused")
        await pilot.press("p")
        await settle(pilot)
    assert not store.get_agent("agent01").routing_paused


async def test_sync_sheet_exports_every_waiting_escalation(
    make_monitor: MonitorFactory, store: SqlStore, tmp_path: Path
) -> None:
    app = make_monitor()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")  # exporting is reading: allowed while read-only
        await settle(pilot)
    assert app.exported == tmp_path / "exports" / "sync-sheet-20261120-1000.csv"
    rows = list(csv.DictReader(io.StringIO(app.exported.read_text(encoding="utf-8-sig"))))
    assert sorted(int(r["escalation_id"]) for r in rows) == sorted(
        e.id for e in store.waiting_escalations()
    )
    assert not list((tmp_path / "exports").glob("*.part"))


async def test_failed_deliveries_show_with_why(
    make_monitor: MonitorFactory, store: SqlStore
) -> None:
    from datetime import UTC, datetime

    from cstui.domain.channels import Inbound
    from cstui.domain.model import MessageKind
    from cstui.monitor.app import Static

    app = make_monitor()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        line = str(app.query_one("#deliveries", Static).render())
        assert "none failed" in line
        outcome = store.ingest(
            Inbound(
                Channel.EMAIL,
                "<m1@example.cn>",
                "gone@example.cn",
                "买家",
                "坏了",
                "坏了",
                "坏了",
                datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
            )
        )
        assert outcome.ticket_id is not None
        agent = store.list_agents()[0].name
        store.take(outcome.ticket_id, actor=agent)
        store.add_message(outcome.ticket_id, actor=agent, kind=MessageKind.REPLY, text="您好")
        [claimed] = store.claim_deliveries(
            channels=[Channel.EMAIL], limit=5, lease=timedelta(minutes=1)
        )
        store.delivery_failed(
            claimed.id, error="recipient refused: 550 \x1b[31mno such user", retry_at=None
        )
        await pilot.press("ctrl+r")
        await settle(pilot)
        line = str(app.query_one("#deliveries", Static).render())
        assert "Failed deliveries: 1" in line
        assert f"#{outcome.ticket_id} reply → gone@example.cn: recipient refused: 550" in line
        assert "\x1b" not in line  # a relay's answer is shown inert
