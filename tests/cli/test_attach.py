"""`cstui tickets reply ID --text T --attach FILE`: files with a reply, on a store and a server;
a missing or too big file is one line, exit 2, and nothing sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cstui.__main__ import main
from cstui.domain.model import Category, Channel, MessageKind, Role
from cstui.store import init_store
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.sql import SqlStore
from tests.server.conftest import channel_options, serve_store

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 500


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = init_store(str(tmp_path / "cstui.db"))
    opened.add_agent("alice", Role.AGENT)
    yield opened
    opened.close()


def ticket_of_alice(store: SqlStore) -> int:
    customer = store.add_customer(NewCustomer("张三", phone="13800001234"))
    new = NewTicket(customer.id, "包裹破损", "外箱压坏了", Channel.CHAT, Category.REFUND)
    tid = store.create_ticket(new).id
    store.take(tid, actor="alice")
    return tid


def files(tmp_path: Path) -> tuple[Path, Path]:
    photo, receipt = tmp_path / "破损照片.png", tmp_path / "receipt.txt"
    photo.write_bytes(PNG)
    receipt.write_text("订单 SO123 已付款 99 元", encoding="utf-8")
    return photo, receipt


def replies(store: SqlStore, tid: int) -> int:
    return sum(m.kind is MessageKind.REPLY for m in store.messages(tid))


def test_a_reply_takes_its_files_along(
    store: SqlStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = ticket_of_alice(store)
    photo, receipt = files(tmp_path)
    db = str(tmp_path / "cstui.db")
    args = ["--db", db, "--as", "alice", "--json", "tickets", "reply", str(tid)]
    code = main([*args, "--text", "请查收", "--attach", str(photo), "--attach", str(receipt)])
    assert code == 0, capsys.readouterr().err
    printed = json.loads(capsys.readouterr().out)
    assert [(a["filename"], a["content_type"]) for a in printed["attachments"]] == [
        ("破损照片.png", "image/png"),
        ("receipt.txt", "text/plain"),
    ]
    stored = store.attachments(tid)
    assert [(a.filename, a.size) for a in stored] == [
        ("破损照片.png", len(PNG)),
        ("receipt.txt", receipt.stat().st_size),
    ]
    assert store.attachment(stored[0].id)[1] == PNG
    assert main(["--db", db, "--json", "tickets", "show", str(tid)]) == 0
    (reply,) = [m for m in json.loads(capsys.readouterr().out)["messages"] if m["kind"] == "reply"]
    assert [(f["id"], f["filename"], f["size"]) for f in reply["attachments"]] == [
        (a.id, a.filename, a.size) for a in stored
    ]
    assert reply["delivery"] is None  # a chat ticket made here has no channel to send by


@pytest.mark.parametrize("problem", ["missing", "directory", "too big", "empty"])
def test_a_bad_file_is_one_line_exit_2_and_nothing_sent(
    store: SqlStore, tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    tid = ticket_of_alice(store)
    photo, _ = files(tmp_path)
    bad = {
        "missing": tmp_path / "nowhere.png",
        "directory": tmp_path,
        "too big": photo,
        "empty": tmp_path / "empty.png",
    }[problem]
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "config.toml").write_text("[channels]\nattachment_max_bytes = 100\n")
    db = str(tmp_path / "cstui.db")
    args = ["--db", db, "--as", "alice", "tickets", "reply", str(tid), "--text", "见附件"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CSTUI_CONFIG_FILE", str(tmp_path / "config.toml"))
        code = main([*args, "--attach", str(bad)])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and str(bad.name) in error[0], error
    assert replies(store, tid) == 0 and store.attachments(tid) == []


def test_files_go_through_the_team_server_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for served in serve_store(tmp_path / "team.db", channel_options()):
        tid = served.new_ticket()
        served.store.take(tid, actor="alice")
        photo, receipt = files(tmp_path)
        api = ["--api", served.url, "--token", served.tokens["alice"]]
        args = [*api, "tickets", "reply", str(tid), "--text", "照片已收到"]
        code = main([*args, "--attach", str(photo), "--attach", str(receipt)])
        assert code == 0, capsys.readouterr().err
        stored = served.store.attachments(tid)
        assert [a.filename for a in stored] == ["破损照片.png", "receipt.txt"]
        assert served.store.attachment(stored[0].id)[1] == PNG
