"""Files and deliveries in the console: listed in the ticket pane, saved with `a`, attached in
the composer; each reply says whether it reached the customer. On the file and through a
real server (`backend`)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from cstui.console.app import CstuiApp
from cstui.console.dialogs import FormDialog
from cstui.console.ticket import TicketPane
from cstui.domain.channels import Inbound, NewAttachment
from cstui.domain.model import Channel, MessageKind
from cstui.store import SqlStore
from tests.console.conftest import NOW, AppFactory
from tests.pilots import settle, until

PNG = b"\x89PNG\r\n\x1a\n" + b"\x07" * 2000
HOSTILE_NAME = "[@click=app.quit]破损[b].png"


def chat_ticket(store: SqlStore, *, files: tuple[NewAttachment, ...] = ()) -> int:
    """A new customer's chat with `files`, taken by agent01."""
    tag = uuid.uuid4().hex[:10]
    outcome = store.ingest(
        Inbound(
            channel=Channel.CHAT,
            external_id=f"m-{tag}",
            sender_address=f"u-{tag}",
            sender_name="孙八",
            subject="收到的货破了",
            text="外箱破了，见照片",
            full_text="外箱破了，见照片",
            received_at=NOW,
            conversation_id=f"c-{tag}",
            attachments=files,
        )
    )
    assert outcome.ticket_id is not None
    store.take(outcome.ticket_id, actor="agent01")
    return outcome.ticket_id


def text_of(app: CstuiApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def open_ticket(app: CstuiApp, pilot: Any, ticket_id: int) -> None:
    app.load_ticket(ticket_id)
    await until(pilot, lambda: (tk := app.ticket_pane.ticket) is not None and tk.id == ticket_id)


@pytest.fixture
def typed_dir() -> Iterator[Path]:
    """A directory whose paths are short to type: the agent types a file's whole path into
    the composer, one key press at a time, and pytest's own temporary paths run to some 80
    characters (each press a round of the app's work)."""
    path = Path(tempfile.mkdtemp(prefix="cf"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal without a desktop: saving never opens an application here."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


async def test_the_pane_lists_files_and_each_reply_s_delivery(
    make_app: AppFactory, store: SqlStore
) -> None:
    photo = NewAttachment(HOSTILE_NAME, "image/png", PNG)
    tid = chat_ticket(store, files=(photo,))
    for text in ("已收到照片", "已安排补发", "单号稍后发您"):
        store.add_message(tid, actor="agent01", kind=MessageKind.REPLY, text=text)
    sent, failed, _queued = sorted(
        store.claim_deliveries(channels={Channel.CHAT}, limit=3, lease=timedelta(minutes=1)),
        key=lambda o: o.id,
    )
    store.delivery_sent(sent.id)
    store.delivery_failed(failed.id, error="webhook: 410 Gone\n\x1b[2J", retry_at=None)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_ticket(app, pilot, tid)
        files = text_of(app, "#ticket-files")
        assert HOSTILE_NAME in files  # markup shown as it is, never applied
        assert "2.0 KB · image/png" in files
        thread = text_of(app, "#ticket-thread")
        assert "sent" in thread.split("已收到照片")[1].split("已安排补发")[0]
        failed_part = thread.split("已安排补发")[1].split("单号稍后发您")[0]
        assert "NOT DELIVERED: webhook: 410 Gone" in failed_part
        assert "\x1b" not in thread  # the error came from outside: made inert
        assert "queued" in thread.split("单号稍后发您")[1]


async def test_a_ticket_without_files_shows_no_files_section(
    make_app: AppFactory, store: SqlStore
) -> None:
    tid = chat_ticket(store)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_ticket(app, pilot, tid)
        assert not app.query_one("#ticket-files", Static).display
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, FormDialog)
        assert any(f"#{tid}" in m for _s, m in app.notices)  # "#N has no attachments"


async def test_a_saves_the_chosen_file_under_a_safe_new_name(
    make_app: AppFactory, store: SqlStore, tmp_path: Path
) -> None:
    files = (
        NewAttachment("收据.pdf", "application/pdf", b"%PDF-1.4 receipt"),
        NewAttachment("../../.bashrc", "text/plain", b"echo pwned"),
    )
    tid = chat_ticket(store, files=files)
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    (downloads / "收据.pdf").write_bytes(b"an older download")
    app = make_app(downloads_dir=downloads)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_ticket(app, pilot, tid)
        for down in (0, 1):
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, FormDialog))
            await pilot.press(*["down"] * down, "enter")
            await settle(pilot)
        await until(pilot, lambda: len(list(downloads.iterdir())) == 3)
    assert (downloads / "收据.pdf").read_bytes() == b"an older download"  # never overwritten
    assert (downloads / "收据 (2).pdf").read_bytes() == b"%PDF-1.4 receipt"
    # A name with a path in it (stored as given here, straight into the store) is saved
    # as a plain file name in the downloads dir, never along the path.
    assert (downloads / "bashrc").read_bytes() == b"echo pwned"
    assert not (tmp_path / ".bashrc").exists() and not (tmp_path.parent / ".bashrc").exists()
    assert any("收据 (2).pdf" in m for _s, m in app.notices)


async def test_the_composer_attaches_files_to_the_reply(
    make_app: AppFactory, store: SqlStore, typed_dir: Path
) -> None:
    tid = chat_ticket(store)
    photo = typed_dir / "补发单.png"
    photo.write_bytes(PNG)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_ticket(app, pilot, tid)
        await pilot.press("r", *"补发单见附件", "tab")  # from the text to the attach field
        attach = app.query_one("#composer-attach", Input)
        assert attach.has_focus
        await pilot.press(*str(typed_dir / "nowhere.png"), "enter")
        assert any("nowhere.png" in m for s, m in app.notices if s == "warning")
        attach.clear()
        await pilot.press(*str(photo), "enter")
        await settle(pilot)
        assert "补发单.png" in text_of(app, "#composer-files")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not app.query_one(TicketPane).composer.is_open)
    reply = [m for m in store.messages(tid) if m.kind is MessageKind.REPLY][-1]
    assert reply.body == "补发单见附件"
    (stored,) = store.attachments(tid)
    assert (stored.filename, stored.message_id) == ("补发单.png", reply.id)
    assert store.attachment(stored.id)[1] == PNG
    assert [d.message_id for d in store.deliveries(ticket_id=tid)] == [reply.id]


async def test_a_file_gone_before_sending_sends_nothing_and_keeps_the_draft(
    make_app: AppFactory, store: SqlStore, typed_dir: Path
) -> None:
    tid = chat_ticket(store)
    photo = typed_dir / "a.png"
    photo.write_bytes(PNG)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_ticket(app, pilot, tid)
        await pilot.press("r", *"见附件")
        app.query_one("#composer-attach", Input).focus()
        await pilot.press(*str(photo), "enter")
        photo.unlink()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("a.png" in m for s, m in app.notices if s == "error"), app.notices
        assert app.outbox.count() == 0
    assert [m for m in store.messages(tid) if m.kind is MessageKind.REPLY] == []
    assert app.drafts.load(tid, MessageKind.REPLY) == "见附件"
