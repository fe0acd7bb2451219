"""The agent's notifications in the console: fired by a real sweep, counted in the status bar,
listed on `n`, opened and marked read in the store, an urgent one toasted once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from cstui import i18n
from cstui.console.app import CstuiApp, StatusBar
from cstui.console.notices import NoticesScreen, notice_text
from cstui.console.ticket import TicketPane
from cstui.domain.automations import AutomationPolicy, Notification, Rule, Urgency
from cstui.i18n import t
from cstui.store import SqlStore
from cstui.store.base import View
from tests.console.conftest import NOW, AppFactory
from tests.pilots import settle, until

GREEN_WARNING = AutomationPolicy(rules=frozenset({Rule.GREEN_WARNING}))


def _green_warned(store: SqlStore) -> Notification:
    """agent01 takes a ticket, a supervisor puts it on the green channel; 91 minutes later
    a sweep warns the owner (an urgent notification)."""
    page = store.list_tickets(View.UNASSIGNED, actor="agent01", limit=100).items
    ticket = next(tk.id for tk in page if not tk.green_channel)
    store.take(ticket, actor="agent01")
    store.set_green_channel(ticket, actor="sup01", reason="客户投诉升级")
    assert store.sweep(GREEN_WARNING, at=NOW + timedelta(minutes=91)).fired >= 1
    [note] = [
        n
        for n in store.notifications(actor="agent01", unread_only=True)
        if n.ticket_id == ticket and n.rule == Rule.GREEN_WARNING.value
    ]
    return note


def _status(app: CstuiApp) -> str:
    return str(app.query_one(StatusBar).render())


def _toasts(app: CstuiApp, note: Notification) -> list[str]:
    return [m for sev, m in app.notices if sev == "warning" and m == notice_text(note)]


async def test_no_badge_when_nothing_is_unread(make_app: AppFactory, store: SqlStore) -> None:
    unread = store.notifications(actor="agent01", unread_only=True)
    store.mark_read(actor="agent01", ids=[n.id for n in unread])
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: bool(app.pane.counts) and app.agent is not None)
        assert app.unread == []
        assert "🔔" not in _status(app)


async def test_a_notification_badges_lists_opens_and_is_read(
    make_app: AppFactory, store: SqlStore
) -> None:
    note = _green_warned(store)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: any(n.id == note.id for n in app.unread))
        unread = store.notifications(actor="agent01", unread_only=True)
        await until(pilot, lambda: t("header.notices", n=len(unread)) in _status(app))
        assert f"#{note.ticket_id}" in notice_text(note)  # the catalog's text, filled in
        # urgent: a toast when it first arrives, and only then
        await until(pilot, lambda: len(_toasts(app, note)) == 1)
        app.refresh_counts()
        await settle(pilot)
        app.refresh_counts()
        await settle(pilot)
        assert len(_toasts(app, note)) == 1

        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NoticesScreen))
        screen = app.screen
        assert isinstance(screen, NoticesScreen)
        assert screen.notices[0].id == note.id  # newest first
        ids = [n.id for n in screen.notices]
        assert ids == sorted(ids, reverse=True)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, NoticesScreen))
        pane = app.query_one(TicketPane)
        await until(pilot, lambda: pane.ticket is not None and pane.ticket.id == note.ticket_id)
        # read in the store, not only on this screen; the feed and the badge follow
        await until(
            pilot,
            lambda: all(
                n.id != note.id for n in store.notifications(actor="agent01", unread_only=True)
            ),
        )
        await until(pilot, lambda: all(n.id != note.id for n in app.unread))
        [read] = [n for n in store.notifications(actor="agent01") if n.id == note.id]
        assert read.read_at is not None

        # `a` in the list marks every one read: the badge goes
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NoticesScreen))
        await pilot.press("a")
        await until(pilot, lambda: not store.notifications(actor="agent01", unread_only=True))
        await until(pilot, lambda: not app.unread and "🔔" not in _status(app))
        assert len(_toasts(app, note)) == 1


def test_a_notice_reads_from_the_catalog_whatever_its_values() -> None:
    hostile = Notification(
        id=1,
        ticket_id=7,
        rule="escalation_overdue",
        urgency=Urgency.WARNING,
        text_key="automation.escalation_overdue",
        params={"ticket": "7", "department": "[@click=app.quit]x"},
        created_at=NOW,
    )
    assert "#7" in notice_text(hostile) and "[@click=app.quit]x" in notice_text(hostile)
    unknown = replace(hostile, rule="some_new_rule", text_key="automation.some_new_rule")
    assert notice_text(unknown) == "some new rule #7"
    short = replace(hostile, params={})  # values missing: still the rule and the ticket
    assert notice_text(short) == "escalation overdue #7"
    i18n.set_language("zh")
    try:
        assert notice_text(hostile).startswith("#7 ") and "超过处理时限" in notice_text(hostile)
    finally:
        i18n.set_language("en")
