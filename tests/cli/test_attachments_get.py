"""`cstui attachments get ID --out PATH`: a ticket's file saved whole, never over another file
unless asked, to stdout with `-`, from a store and through the team server, with the
contract's exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cstui.__main__ import main
from cstui.domain.files import new_attachment
from cstui.domain.model import MessageKind
from cstui.store.sql import SqlStore
from tests.cli.test_attach import PNG, store, ticket_of_alice
from tests.server.conftest import channel_options, serve_store

__all__ = ["store"]  # the fixture, used by name


def attached(store: SqlStore) -> int:
    """A reply with a PNG on a new ticket; the attachment's id."""
    tid = ticket_of_alice(store)
    photo = new_attachment("破损照片.png", PNG, max_bytes=1 << 20)
    store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="见图", attachments=[photo])
    (stored,) = store.attachments(tid)
    return stored.id


def files_in(directory: Path) -> list[str]:
    """What is there besides the store (and SQLite's files beside it)."""
    return sorted(n for n in os.listdir(directory) if not n.startswith("cstui.db"))


@pytest.fixture
def db(store: SqlStore, tmp_path: Path) -> Iterator[list[str]]:
    yield ["--db", str(tmp_path / "cstui.db"), "--as", "alice"]


def test_the_file_is_written_and_described(
    store: SqlStore, db: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aid = attached(store)
    out = tmp_path / "saved" / "photo.png"
    out.parent.mkdir()
    assert main([*db, "--json", "attachments", "get", str(aid), "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "id": aid,
        "filename": "破损照片.png",
        "content_type": "image/png",
        "size": len(PNG),
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "path": str(out),
    }
    assert out.read_bytes() == PNG
    assert os.listdir(out.parent) == ["photo.png"]  # no temporary file left beside it


def test_an_existing_file_is_kept_unless_forced(
    store: SqlStore, db: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aid = attached(store)
    out = tmp_path / "mine.png"
    out.write_bytes(b"the user's own file")
    assert main([*db, "attachments", "get", str(aid), "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "exists" in error[0] and "--force" in error[0]
    assert out.read_bytes() == b"the user's own file"
    assert files_in(tmp_path) == ["mine.png"]
    assert main([*db, "attachments", "get", str(aid), "--out", str(out), "--force"]) == 0
    assert out.read_bytes() == PNG


def test_a_link_at_the_path_is_not_followed(
    store: SqlStore, db: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aid = attached(store)
    target = tmp_path / "elsewhere"
    (tmp_path / "link.png").symlink_to(target)
    assert main([*db, "attachments", "get", str(aid), "--out", str(tmp_path / "link.png")]) == 2
    assert not target.exists()


def test_dash_writes_the_bytes_to_stdout(store: SqlStore, tmp_path: Path) -> None:
    aid = attached(store)
    env = {**os.environ, "CSTUI_DB": str(tmp_path / "cstui.db"), "CSTUI_AGENT": "alice"}
    args = [sys.executable, "-m", "cstui", "attachments", "get", str(aid), "--out", "-"]
    result = subprocess.run(args, capture_output=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == PNG


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["attachments", "get", "999", "--out", "x.png"], 4),
        (["attachments", "get", "abc", "--out", "x.png"], 2),
        (["attachments", "get", "1"], 2),
        (["attachments", "get", "1", "--out", "nowhere/deeper/x.png"], 2),
        (["--json", "attachments", "get", "1", "--out", "-"], 2),
    ],
    ids=["not found", "bad id", "no --out", "no such directory", "json to stdout"],
)
def test_errors_are_one_line_with_their_exit_code(
    store: SqlStore,
    db: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
) -> None:
    attached(store)
    monkeypatch.chdir(tmp_path)
    assert main([*db, *args]) == code
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1, error
    assert files_in(tmp_path) == []


def test_through_the_team_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for served in serve_store(tmp_path / "team.db", channel_options()):
        aid = attached(served.store)
        api = ["--api", served.url, "--token", served.tokens["alice"]]
        out = tmp_path / "from-server.png"
        assert main([*api, "--json", "attachments", "get", str(aid), "--out", str(out)]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert (printed["id"], printed["size"], printed["path"]) == (aid, len(PNG), str(out))
        assert out.read_bytes() == PNG
        missing = tmp_path / "missing.png"
        assert main([*api, "attachments", "get", str(aid + 100), "--out", str(missing)]) == 4
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
        assert not missing.exists()
