"""Every keyboard workflow of the console, driven with Pilot against a real SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.widgets import Static

from cstui.console.app import CstuiApp
from cstui.console.customer import CustomerPane
from cstui.console.dialogs import ConfirmDialog, FormDialog, HelpScreen
from cstui.console.knowledge import KnowledgePane
from cstui.console.queue import QueueList
from cstui.console.ticket import TicketPane
from cstui.domain.model import (
    ArticleKind,
    Department,
    EscalationState,
    EventKind,
    MessageKind,
    Status,
    Ticket,
)
from cstui.domain.privacy import mask_email, mask_phone
from cstui.domain.templates import fill, ticket_values
from cstui.remote.http_store import HttpStore
from cstui.store import SqlStore
from cstui.store.base import View
from tests.console.conftest import SHANGHAI, AppFactory, searched
from tests.pilots import settle, until


def shown(app: CstuiApp) -> Ticket:
    ticket = app.query_one(TicketPane).ticket
    assert ticket is not None, "no ticket is open"
    return ticket


def errors(app: CstuiApp) -> list[str]:
    return [m for severity, m in app.notices if severity == "error"]


def infos(app: CstuiApp) -> list[str]:
    return [m for severity, m in app.notices if severity == "information"]


async def test_opens_on_the_unassigned_view_with_counts(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.query_one(QueueList)
        first = store.list_tickets(View.UNASSIGNED, actor="agent01", limit=5).items
        assert [queue.window.row(i).id for i in range(5)] == [tk.id for tk in first]
        assert app.pane.counts[View.UNASSIGNED] == store.count_tickets(View.UNASSIGNED, actor=None)
        assert shown(app).id == first[0].id  # the highlighted row is open in the ticket pane


async def test_take_makes_the_agent_owner(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t")
        await settle(pilot)
        assert store.get_ticket(ticket_id).owner == "agent01"
        assert shown(app).owner == "agent01"
        assert any(f"#{ticket_id}" in m for m in infos(app))


async def test_take_lost_race_names_the_owner(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        store.take(ticket_id, actor="agent02")  # someone else, on another terminal
        await pilot.press("t")
        await settle(pilot)
        assert any("agent02" in m for m in errors(app)), app.notices
        assert store.get_ticket(ticket_id).owner == "agent02"
        assert shown(app).owner == "agent02"  # reloaded: the pane shows the real owner


async def test_the_console_works_through_the_backend_under_test(
    make_app: AppFactory, backend: str
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.store, HttpStore) is (backend == "server")
        assert shown(app).id  # a ticket came through it


async def test_reply_with_a_knowledge_answer(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t", "4")
        await pilot.press(*"退款")
        await until(pilot, searched(app))
        await pilot.press("enter", "enter")  # to the results, then insert the first one
        await settle(pilot)
        composer = app.query_one(TicketPane).composer
        assert composer.is_open and composer.kind is MessageKind.REPLY
        inserted = composer.area.text
        first_hit = app.query_one(KnowledgePane).hits[0]
        assert "退款" in first_hit.title + first_hit.snippet
        assert inserted == store.get_article(first_hit.article_id).body
        await pilot.press("ctrl+s")
        await settle(pilot)
        replies = [m for m in store.messages(ticket_id) if m.kind is MessageKind.REPLY]
        assert replies and replies[-1].body == inserted.strip()
        assert replies[-1].author == "agent01"
        assert not composer.is_open


async def test_down_from_the_search_box_reaches_the_results(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t", "4", *"退款")
        await until(pilot, searched(app))
        await pilot.press("down", "down", "enter")  # into the results, the second one
        await settle(pilot)
        second = app.query_one(KnowledgePane).hits[1]
        composer = app.query_one(TicketPane).composer
        assert composer.is_open and composer.area.text.strip()
        assert any(second.title in m for _s, m in app.notices), app.notices  # "Inserted “…”"


async def test_note_is_internal(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t", "i", *"call back at 3", "ctrl+s")
        await settle(pilot)
        last = store.messages(ticket_id)[-1]
        assert (last.kind, last.body) == (MessageKind.NOTE, "call back at 3")


async def test_template_is_filled_from_the_ticket(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket = shown(app)
        await pilot.press("t", "m", *"您好")
        await until(pilot, searched(app))
        hits = app.query_one(KnowledgePane).hits
        assert hits and all(h.kind is ArticleKind.TEMPLATE for h in hits)
        await pilot.press("enter", "enter")
        await settle(pilot)
        text = app.query_one(TicketPane).composer.area.text
        template = store.get_article(hits[0].article_id).body
        values = ticket_values(ticket, agent_name="王晓燕", tz=SHANGHAI)
        agent = store.get_agent("agent01")
        values["agent_name"] = agent.display_name or agent.name
        expected = fill(template, values)
        assert text == expected.text
        for known in ("customer_name", "order_id", "ticket_id"):
            assert "{" + known + "}" not in text
        if expected.missing:  # what the ticket cannot fill is pointed out
            assert any(expected.missing[0] in m for _s, m in app.notices)


async def test_a_ticket_opens_with_its_likeliest_answers(
    make_app: AppFactory, store: SqlStore
) -> None:
    """Nothing typed: the knowledge pane lists the store's suggestions for the ticket, with
    the triage in its status line; `m` lists templates, best first; Enter, Enter inserts."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket = shown(app)
        pane = app.query_one(KnowledgePane)
        await until(pilot, lambda: len(pane.hits) > 0)
        expected = store.suggest(ticket.id)
        assert [h.article_id for h in pane.hits] == [i.id for i in expected.items]
        status = str(pane.query_one("#kb-status", Static).render())
        assert expected.triage.category.value in status
        await pilot.press("t", "m")
        templates = store.suggest(ticket.id, limit=10, kind=ArticleKind.TEMPLATE)
        want = [i.id for i in templates.items]
        await until(pilot, lambda: [h.article_id for h in pane.hits] == want)
        await pilot.press("enter", "enter")  # the empty search box: to the results, insert
        await settle(pilot)
        text = app.query_one(TicketPane).composer.area.text
        assert text and "{customer_name}" not in text
        assert any(templates.items[0].title in m for _s, m in app.notices), app.notices


async def test_escalate_keeps_the_owner_and_resolve_is_refused(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("e")
        assert isinstance(app.screen, FormDialog)
        await pilot.press("enter", *"damaged box", "enter")  # warehouse is first
        await settle(pilot)
        after = store.get_ticket(ticket_id)
        assert after.owner == "agent01"  # first-contact ownership: escalation moves nothing
        assert [(e.department, e.state) for e in after.escalations] == [
            (Department.WAREHOUSE, EscalationState.REQUESTED)
        ]
        await pilot.press("c")
        await settle(pilot)
        assert not isinstance(app.screen, FormDialog)  # refused at once, no code asked for
        assert store.get_ticket(ticket_id).is_active
        assert any("escalation" in m for m in errors(app)), app.notices


async def test_green_channel(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app(actor="sup01")  # a supervisor may put any ticket on it
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("g", *"fresh goods spoiling", "enter")
        await settle(pilot)
        assert store.get_ticket(ticket_id).green_channel


async def test_transfer_goes_to_a_supervisor(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        await pilot.press("enter", *"customer asks for a Cantonese speaker", "enter")
        await settle(pilot)
        pending = [r for r in store.pending_transfers() if r.ticket_id == ticket_id]
        assert len(pending) == 1 and pending[0].reason.startswith("customer asks")
        assert store.get_ticket(ticket_id).owner == "agent01"  # until a supervisor approves


async def test_second_hand_off_warns(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        store.take(ticket_id, actor="agent02")
        store.steal(ticket_id, actor="sup01", reason="rebalance")
        app.load_ticket(ticket_id)
        await settle(pilot)
        assert shown(app).dispatch_count >= 2
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, (ConfirmDialog, FormDialog))
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")  # a third hand-off all the same: on to whom and why
        await until(pilot, lambda: isinstance(app.screen, FormDialog))


async def test_status_and_follow_up(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("s", "down", "enter")  # open → pending
        await settle(pilot)
        assert store.get_ticket(ticket_id).status is Status.PENDING
        await pilot.press("f", "enter")  # the proposed time: tomorrow 10:00
        await settle(pilot)
        assert store.get_ticket(ticket_id).follow_up_due is not None


async def test_next_ticket_takes_the_most_urgent(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = store.count_tickets(View.UNASSIGNED, actor=None)
        most_urgent = store.list_tickets(View.UNASSIGNED, actor=None, limit=1).items[0]
        await pilot.press("u")
        await settle(pilot)
        assert store.count_tickets(View.UNASSIGNED, actor=None) == before - 1
        assert store.get_ticket(most_urgent.id).owner == "agent01"
        assert shown(app).id == most_urgent.id


async def test_filter_as_you_type(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        target = store.list_tickets(View.UNASSIGNED, actor=None, limit=30).items[-1]
        await pilot.press("slash", *str(target.id))
        await settle(pilot)
        rows = app.query_one(QueueList).window.rows()
        assert target.id in [r.id for r in rows]
        assert all(
            str(target.id) in f"{r.id} {r.subject} {r.customer.name}"
            or (r.order and str(target.id) in r.order.number)
            for r in rows
        )


async def test_a_draft_survives_quitting(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("r", *"half-written answer")
        await settle(pilot)
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert shown(again).id == ticket_id
        await pilot.press("r")
        assert again.query_one(TicketPane).composer.area.text == "half-written answer"


async def test_an_unreachable_store_does_not_crash(make_app: AppFactory, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    app = make_app(store_key=str(garbage))
    app.open_store = lambda: __import__("cstui.store", fromlist=["open_store"]).open_store(
        str(garbage)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert errors(app), "the failure is reported"
        await pilot.press("t", "u", "r")  # nothing to act on: no crash
        await settle(pilot)
        assert app.is_running


async def test_narrow_terminal_shows_one_pane_at_a_time(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        visible = [p.id for p in app.query("#panes > *") if p.display]
        assert visible == ["queue-pane"]
        await pilot.press("2")
        visible = [p.id for p in app.query("#panes > *") if p.display]
        assert visible == ["ticket-pane"]


async def test_help_lists_the_keys(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert any(desc == "Escalate" for _key, desc in app.screen.rows)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keymap_rebinds_a_key(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app(keymap={"take": "T"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t")
        await settle(pilot)
        assert store.get_ticket(ticket_id).owner is None  # t no longer takes
        await pilot.press("T")
        await settle(pilot)
        assert store.get_ticket(ticket_id).owner == "agent01"


async def test_views_switch_with_brackets(make_app: AppFactory, store: SqlStore) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.pane.view is View.ALL_OPEN
        rows = app.query_one(QueueList).window.rows()
        first = store.list_tickets(View.ALL_OPEN, actor="agent01", limit=3).items
        assert [r.id for r in rows[:3]] == [tk.id for tk in first]


async def test_command_palette_runs_a_workflow(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"Escalate")
        await until(pilot, lambda: "Escalate" in palette_choice(app))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)


def palette_choice(app: CstuiApp) -> str:
    """The command the open command palette would run on Enter ("" while it has none)."""
    if not isinstance(app.screen, CommandPalette):
        return ""
    option = app.screen.query_one(CommandList).highlighted_option
    return "" if option is None else str(option.prompt)


def card_text(app: Any) -> str:
    return str(app.query_one("#customer-card", Static).render())


async def test_reveal_shows_the_contact_to_the_owner_and_is_logged(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert shown(app).owner is None
        customer = store.get_customer(shown(app).customer.id)
        card = app.query_one(CustomerPane).card
        assert card is not None and not card.revealed
        assert customer.phone and customer.email
        text = card_text(app)
        assert mask_phone(customer.phone) in text and customer.phone not in text
        assert mask_email(customer.email) in text and customer.email not in text
        await pilot.press("v")  # not agent01's ticket: refused, and the attempt is logged
        await settle(pilot)
        card = app.query_one(CustomerPane).card
        assert card is not None and not card.revealed and customer.phone not in card_text(app)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        card = app.query_one(CustomerPane).card
        assert card is not None and card.revealed
        assert customer.phone in card_text(app) and customer.email in card_text(app)
        audit = [e for e in store.events() if e.kind.value in ("reveal_refused", "pii_revealed")]
        assert [(e.kind, e.actor, (e.new or {})["customer_id"]) for e in audit] == [
            (EventKind.REVEAL_REFUSED, "agent01", customer.id),
            (EventKind.PII_REVEALED, "agent01", customer.id),
        ]


async def test_next_skips_a_ticket_someone_else_has_open(
    make_app: AppFactory, store: SqlStore
) -> None:
    first, second = store.list_tickets(View.UNASSIGNED, actor=None, limit=2).items
    store.set_presence(actor="agent02", ticket_id=first.id)  # agent02 is reading it
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # The console's own presence (agent01 rests on this row) may be there too.
        others = set(app.query_one(QueueList).viewers.get(first.id, ())) - {"agent01"}
        assert others == {"agent02"}
        await pilot.press("u")
        await settle(pilot)
        assert store.get_ticket(first.id).owner is None
        assert store.get_ticket(second.id).owner == "agent01"


async def test_a_refused_reply_goes_back_to_the_draft(
    make_app: AppFactory, store: SqlStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        store.take(ticket_id, actor="agent02")  # someone else owns it now
        await pilot.press("r", *"on my way", "ctrl+s")
        await settle(pilot)
        assert errors(app), "the refusal is said"
        assert app.outbox.count() == 0  # nothing left to resend: it was refused, not lost
        assert not [m for m in store.messages(ticket_id) if m.body == "on my way"]
        app.ticket_pane.composer.action_close()
        await pilot.press("r")
        assert app.query_one(TicketPane).composer.area.text == "on my way"
