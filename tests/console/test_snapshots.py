"""Screenshots of the console, one class per pane or feature, at 120×40 and 80×24.

The world is seeded (seed 7), the clock pinned (2026-11-20 10:00 in Shanghai) and the cursor
blink off, so a picture changes only when the console's drawing does. Each docstring says
what you should see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from cstui import i18n
from cstui.console.app import CstuiApp
from cstui.domain.channels import Inbound, NewAttachment
from cstui.domain.model import Channel, MessageKind
from cstui.store import SqlStore
from tests.console.conftest import NOW, AppFactory, searched
from tests.pilots import settle, until

WIDE = (120, 40)
NARROW = (80, 24)
TALL = (120, 50)  # a whole ticket with its files and thread in the narrow ticket pane
Compare = Callable[..., bool]


def then(
    *keys: str, ready: Callable[[CstuiApp], Callable[[], bool]] | None = None
) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Wait for the store, press keys, wait again (until `ready(app)()`, if given), and stop
    every cursor blinking."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            if ready is not None:
                await until(pilot, ready(pilot.app))
            await settle(pilot)
        for widget in pilot.app.screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()

    return run_before


def taken_left(app: CstuiApp) -> Callable[[], bool]:
    """The taken ticket has left Unassigned (the live rows have caught up) and the ticket
    pane still shows it, escalated."""
    shown = app.ticket_pane

    def done() -> bool:
        ticket = shown.ticket
        rows = [t.id for t in app.queue.window.rows()]
        return ticket is not None and bool(ticket.escalations) and ticket.id not in rows

    return done


def toasts_stay(app: CstuiApp) -> CstuiApp:
    """Every toast stays up however long a busy machine takes to reach the picture (the
    console gives each its own few seconds)."""
    shown = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        shown(message, **{**kwargs, "timeout": 3600})

    app.notify = notify  # type: ignore[method-assign]
    return app


@pytest.fixture
def chinese() -> Iterator[None]:
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


@pytest.fixture
def backend() -> str:
    """Snapshots on the file only: the same screens through the server are the workflow
    tests' business, and each snapshot costs a second."""
    return "store"


class TestLayout:
    def test_four_panes_wide(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """Queue, Ticket, Customer and Knowledge side by side; the status bar names agent01
        (王晓燕 or the seeded name), the morning shift and the unassigned count; the footer
        lists the workflow keys."""
        assert snap_compare(make_app(), terminal_size=WIDE, run_before=then())

    def test_one_pane_narrow(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """At 80×24 only the queue shows, full width, with the owner column."""
        assert snap_compare(make_app(), terminal_size=NARROW, run_before=then())


class TestQueuePane:
    def test_vip_view(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """The VIP view (two presses of ]): every row has a ★; the view tab is highlighted."""
        run = then("right_square_bracket", "right_square_bracket")
        assert snap_compare(make_app(), terminal_size=WIDE, run_before=run)

    def test_filter(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """`/` then 退款: a filter line under the tabs; only refund tickets are listed."""
        run = then("slash", *"退款")
        assert snap_compare(make_app(), terminal_size=NARROW, run_before=run)

    def test_search_with_marked_rows(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """ctrl+f, 退款, enter, then space twice: a "Search: 退款" tab highlighted before the
        views, refund tickets from every view with 退款 bold and underlined in each subject,
        the first two rows on the marked-row background (the cursor on the third), and
        "N found · 2 marked" under the list."""
        run = then("ctrl+f", *"退款", "enter", "space", "space")
        assert snap_compare(make_app(), terminal_size=NARROW, run_before=run)


class TestTicketPane:
    def test_escalated_ticket(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """After t and e (warehouse, "damaged box"): Owner agent01, an Escalations section
        with warehouse · requested and its due time, and a success toast."""
        run = then("t", "e", "enter", *"damaged box", "enter", ready=taken_left)
        assert snap_compare(toasts_stay(make_app()), terminal_size=WIDE, run_before=run)

    def test_note_composer(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """`i` opens the internal-note composer in the note colour, with the text typed."""
        run = then("2", "i", *"客户要求下午回电")
        assert snap_compare(make_app(), terminal_size=NARROW, run_before=run)

    def test_files_and_deliveries(
        self, snap_compare: Compare, make_app: AppFactory, store: SqlStore
    ) -> None:
        """A chat ticket with a photo and a receipt: an Attachments section (name · size ·
        type, "a saves one"), "+ 1 file(s)" under the customer's message, then two replies:
        the first "→ sent 11-20 10:00", the second "→ NOT DELIVERED: webhook: 410 Gone"."""
        tid = files_ticket(store)

        async def run_before(pilot: Pilot[None]) -> None:
            await settle(pilot)
            app = pilot.app
            assert isinstance(app, CstuiApp)
            app.load_ticket(tid)
            await until(pilot, lambda: getattr(app.ticket_pane.ticket, "id", None) == tid)
            await then()(pilot)

        assert snap_compare(make_app(), terminal_size=TALL, run_before=run_before)


def files_ticket(store: SqlStore) -> int:
    """A customer's chat with two files, owned by agent01, with one reply sent and one
    that failed for good."""
    outcome = store.ingest(
        Inbound(
            channel=Channel.CHAT,
            external_id="snap-m1",
            sender_address="snap-u1",
            sender_name="孙八",
            subject="收到的货破了",
            text="外箱破了，见照片和小票",
            full_text="外箱破了，见照片和小票",
            received_at=NOW,
            conversation_id="snap-c1",
            attachments=(
                NewAttachment(
                    "破损照片.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 150_000
                ),
                NewAttachment("小票.pdf", "application/pdf", b"%PDF-1.4" + b"\x00" * 900),
            ),
        )
    )
    tid = outcome.ticket_id
    assert tid is not None
    store.take(tid, actor="agent01")
    for text in ("照片收到了，马上为您补发", "补发单号稍后发您"):
        store.add_message(tid, actor="agent01", kind=MessageKind.REPLY, text=text)
    sent, failed = store.claim_deliveries(
        channels={Channel.CHAT}, limit=2, lease=timedelta(minutes=1)
    )
    store.delivery_sent(sent.id)
    store.delivery_failed(failed.id, error="webhook: 410 Gone", retry_at=None)
    return tid


class TestCustomerPane:
    def test_customer_narrow(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """`3` at 80×24: the customer's tier and why, masked phone (138****1234 style) and
        address, orders, tickets and CSAT."""
        assert snap_compare(make_app(), terminal_size=NARROW, run_before=then("3"))


class TestKnowledgePane:
    def test_search_results(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """`4` and 发票: articles about invoices, 发票 highlighted in titles and snippets."""
        run = then("4", *"发票", ready=searched)
        assert snap_compare(make_app(), terminal_size=WIDE, run_before=run)


class TestDialogs:
    def test_escalate_dialog(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """`e`: departments to pick (warehouse first), a reason field, the green-channel box."""
        assert snap_compare(make_app(), terminal_size=WIDE, run_before=then("e"))

    def test_help(self, snap_compare: Compare, make_app: AppFactory) -> None:
        """`?`: every key with what it does."""
        assert snap_compare(make_app(), terminal_size=WIDE, run_before=then("question_mark"))


class TestThemes:
    @pytest.mark.parametrize("theme", ["cstui-light", "cstui-high-contrast", "cstui-ansi"])
    def test_theme(self, snap_compare: Compare, make_app: AppFactory, theme: str) -> None:
        """The same screen in each built-in theme: VIP stars, green-channel dots and overdue
        countdowns keep distinct colours."""
        assert snap_compare(make_app(theme=theme), terminal_size=WIDE, run_before=then())


class TestLanguage:
    def test_chinese(self, snap_compare: Compare, make_app: AppFactory, chinese: None) -> None:
        """--lang zh: every label in Chinese (队列, 工单, 客户, 知识库; 领取, 回复 … in the
        footer), columns still aligned."""
        assert snap_compare(make_app(), terminal_size=WIDE, run_before=then())
