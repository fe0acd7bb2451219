"""Refusals said before a form opens, the green channel's own deadline in the console, and
a help screen written for agents (no Textual internals, no markup, a legend, both languages)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from textual.widgets import Checkbox, OptionList, Static

from cstui import i18n
from cstui.console.app import CstuiApp
from cstui.console.dialogs import FormDialog, HelpScreen
from cstui.console.ticket import TicketPane
from cstui.domain.model import Ticket
from cstui.store import SqlStore
from cstui.store.base import View
from tests.console.conftest import AppFactory
from tests.pilots import settle, until


def shown(app: CstuiApp) -> Ticket:
    ticket = app.query_one(TicketPane).ticket
    assert ticket is not None, "no ticket is open"
    return ticket


def plain_ticket(store: SqlStore) -> int:
    """An unassigned ticket not on the green channel (the seeded queue starts with green)."""
    page = store.list_tickets(View.UNASSIGNED, actor=None, limit=50)
    return next(t.id for t in page.items if not t.green_channel)


def errors(app: CstuiApp) -> list[str]:
    return [m for severity, m in app.notices if severity == "error"]


def pane_text(app: CstuiApp) -> str:
    return "\n".join(str(s.render()) for s in app.query_one(TicketPane).query(Static))


@pytest.fixture
def chinese() -> Iterator[None]:
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


async def test_second_x_says_a_transfer_is_pending_without_a_form(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tid = shown(app).id
        store.take(tid, actor="agent01")
        store.transfer(tid, actor="agent01", to="agent02", reason="说粤语")
        app.load_ticket(tid)
        await until(pilot, lambda: shown(app).pending_transfer == "agent02")
        assert i18n.t("ticket.pending_transfer", to="agent02") in pane_text(app)
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, FormDialog)  # no form to fill in for nothing
        assert any("already has a transfer to agent02" in m for m in errors(app))


async def test_g_on_a_green_ticket_says_already_without_asking_a_reason(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app(actor="sup01")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tid = plain_ticket(store)
        store.set_green_channel(tid, actor="sup01", reason="生鲜")
        app.load_ticket(tid)
        await until(pilot, lambda: shown(app).green_channel)
        await pilot.press("g")
        await settle(pilot)
        assert not isinstance(app.screen, FormDialog)
        assert any("green channel already" in m for m in errors(app))


async def test_a_green_ticket_shows_its_two_hours_and_escalates_green(
    make_app: AppFactory, store: SqlStore
) -> None:
    """The ticket pane leads with the green channel's own deadline (not only the SLA's),
    and the escalate dialog's green box is on for a green ticket."""
    app = make_app(actor="sup01")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tid = plain_ticket(store)
        store.take(tid, actor="sup01")
        store.set_green_channel(tid, actor="sup01", reason="生鲜")
        app.load_ticket(tid)
        await until(pilot, lambda: shown(app).green_channel)
        text = pane_text(app)
        assert i18n.t("ticket.green_due") in text
        assert i18n.t("due.in", left="2h00m") in text  # the clock is pinned
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        assert app.screen.query_one(Checkbox).value is True


async def test_transfer_picker_shows_presence_shift_and_load(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tid = shown(app).id
        store.take(tid, actor="agent01")
        app.load_ticket(tid)
        await until(pilot, lambda: shown(app).owner == "agent01")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(3)]
        assert all(re.search(r" — .+ · .+ · \d+ ", p) for p in prompts), prompts
        loads = {a.name: a.open_tickets for a in store.agent_loads()}
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert "agent01" not in ids and set(ids) == set(loads) - {"agent01"}


def _help_text(app: CstuiApp) -> str:
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return "\n".join(str(s.render()) for s in screen.query(Static))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_help_is_for_agents(make_app: AppFactory, lang: str) -> None:
    """No Textual internals, no markup leaking (`[` is a key), `[keymap]` kept in the
    footer, Chinese throughout in zh, a legend of the queue's marks; `q` quits."""
    i18n.set_language(lang)  # type: ignore[arg-type]
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            text = _help_text(app)
            rows = dict(app.screen.rows)  # type: ignore[attr-defined]
    finally:
        i18n.set_language("en")
    for internal in ("Scroll Left", "Page Left", "super+c", "Focus Next", "^q", "ctrl+q"):
        assert internal not in text
    assert "[/b]" not in text and "[b]" not in text
    assert "[" in rows and "]" in rows, " ".join(rows)  # previous / next view
    assert "[keymap]" in text
    assert "q" in rows
    for mark in ("●", "★", "◆", "◇"):
        assert mark in text
    if lang == "zh":
        words = " ".join(rows.values())
        assert not re.search(r"[A-Za-z]{3,}", words), words


async def test_q_quit_is_in_the_footer_at_120_columns(make_app: AppFactory) -> None:
    from textual.widgets._footer import FooterKey

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = [k for k in app.query(FooterKey) if k.key == "q"]
        assert keys and keys[0].region.right <= 120 and keys[0].region.width > 0
