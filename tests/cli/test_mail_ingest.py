"""`cstui mail ingest` as an MTA or an admin drives it: real processes, mboxes and single
messages, exit codes, the one JSON document, re-runs that store nothing twice, a kill that loses
nothing reported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cstui.store import open_store
from cstui.store.schema import MESSAGES, TICKETS
from tests.cli.test_cli import NOW, ok, run

CORPUS = Path(__file__).parents[2] / "fixtures" / "mail"


def mbox_of(paths: list[Path]) -> bytes:
    out = b""
    for p in paths:
        raw = p.read_bytes()
        raw += b"" if raw.endswith(b"\n") else b"\n"
        out += b"From someone@example.cn Thu Feb  5 01:00:00 2026\n" + raw + b"\n"
    return out


def generated_mbox(n: int) -> bytes:
    lines = []
    for i in range(n):
        lines.append(
            f"From c{i}@example.cn Thu Feb  5 01:00:00 2026\n"
            f"From: 顾客{i} <c{i % 40}@example.cn>\n"
            f"Subject: 问题 {i}\nMessage-ID: <gen-{i}@example.cn>\n"
            "Content-Type: text/plain; charset=utf-8\n\n"
            f"第 {i} 封邮件\n\n"
        )
    return "".join(lines).encode()


def lines(out: str) -> list[dict[str, Any]]:
    """The items of the one `--json` document (and the document is exactly that)."""
    document = json.loads(out)
    assert list(document) == ["items"]
    items: list[dict[str, Any]] = document["items"]
    for item in items:
        assert {"message_id", "ticket_id", "action", "reason"} <= item.keys()
        assert item["action"] in {"created", "threaded", "reopened", "duplicate", "ignored"}
        assert item["reason"] and "\n" not in item["reason"]
    return items


def streamed_item(line: str) -> dict[str, Any]:
    """One item line of a document still being printed (after the first, led by a comma)."""
    item: dict[str, Any] = json.loads(line.removeprefix(","))
    return item


def counts(db: Path) -> tuple[int, int]:
    store = open_store(str(db))
    try:
        with store.engine.connect() as conn:
            tickets = conn.execute(select(func.count()).select_from(TICKETS)).scalar_one()
            messages = conn.execute(select(func.count()).select_from(MESSAGES)).scalar_one()
    finally:
        store.close()
    return tickets, messages


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cstui.db"
    ok(run(path, "init"))
    return path


def test_an_mbox_goes_in_once_however_often_it_is_fed(db: Path, tmp_path: Path) -> None:
    box = tmp_path / "corpus.mbox"
    box.write_bytes(mbox_of(sorted(CORPUS.glob("*.eml"))))
    first = lines(ok(run(db, "mail", "ingest", str(box), "--json")))
    assert first and all(line["ok"] for line in first)
    assert {line["decision"] for line in first} >= {"new", "bounce"}
    assert {line["action"] for line in first} >= {"created", "ignored"}
    for line in first:
        if line["decision"] == "bounce":
            assert line["action"] == "ignored" and line["reason"].startswith("bounce of ")
        if line["auto"] == "auto_reply":
            assert line["reason"].startswith("auto-reply")
    stored = counts(db)
    again = lines(ok(run(db, "mail", "ingest", str(box), "--json")))
    kinds = {line["decision"] for line in again}
    assert kinds <= {"duplicate", "bounce"}  # a bounce writes no message: it is re-read
    assert {line["action"] for line in again} <= {"duplicate", "ignored"}
    assert counts(db) == stored


def test_each_threading_decision_is_named_with_its_reason(db: Path) -> None:
    first = (
        "From: 王芳 <wang@example.cn>\nSubject: 退款\nMessage-ID: <a1@example.cn>\n"
        "Content-Type: text/plain; charset=utf-8\n\n请退款\n"
    )
    (made,) = lines(ok(run(db, "mail", "ingest", "--json", stdin=first)))
    assert (made["action"], made["reason"]) == ("created", "new sender or new subject")
    assert made["message_id"] == "<a1@example.cn>" and made["ticket_id"] == 1
    tid = made["ticket_id"]
    replies = {
        "tag": f"Subject: Re: [#{tid}] 退款\nMessage-ID: <a2@example.cn>\n",
        "In-Reply-To": "Subject: 另一件\nMessage-ID: <a3@example.cn>\n"
        "In-Reply-To: <a1@example.cn>\n",
        "subject": "Subject: 回复: 退款\nMessage-ID: <a4@example.cn>\n",
    }
    for reason, headers in replies.items():
        raw = f"From: wang@example.cn\n{headers}Content-Type: text/plain\n\nok\n"
        (item,) = lines(ok(run(db, "mail", "ingest", "--json", stdin=raw)))
        assert (item["action"], item["reason"], item["ticket_id"]) == ("threaded", reason, tid)
    (again,) = lines(ok(run(db, "mail", "ingest", "--json", stdin=first)))
    assert (again["action"], again["ticket_id"]) == ("duplicate", tid)
    assert again["reason"] == f"already stored on ticket #{tid}"


def test_one_message_on_stdin_and_the_human_line(db: Path) -> None:
    raw = (CORPUS / "charset-gbk-declared-gb2312.eml").read_text("latin-1")
    result = run(db, "mail", "ingest", stdin=raw)
    out = ok(result)
    assert "-#1: new -> ticket #1" in out and "1 messages: 1 stored" in out


def test_a_refused_message_is_reported_and_the_rest_go_in(db: Path, tmp_path: Path) -> None:
    box = tmp_path / "mixed.mbox"
    no_sender = b"Subject: nobody\nMessage-ID: <x@y>\n\nwho sent this?\n"
    box.write_bytes(
        b"From a Thu Feb  5 01:00:00 2026\n"
        + no_sender
        + b"\n"
        + mbox_of([CORPUS / "charset-gbk-declared-gb2312.eml"])
    )
    result = run(db, "mail", "ingest", str(box), "--json")
    assert result.returncode == 2, result.stderr
    error = json.loads(result.stderr)["error"]  # with --json the error is JSON too
    assert (error["code"], error["message"]) == (2, "1 of 2 messages refused")
    refused, stored = lines(result.stdout)
    assert not refused["ok"] and "sender" in refused["error"]
    assert refused["action"] == "ignored" and "sender" in refused["reason"]
    assert refused["message_id"] == "<x@y>" and refused["ticket_id"] is None
    assert stored["ok"] and stored["decision"] == "new" and stored["action"] == "created"


def test_a_missing_file_is_bad_input(db: Path, tmp_path: Path) -> None:
    result = run(db, "mail", "ingest", str(tmp_path / "nope.mbox"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_batches_decide_as_single_messages_do(tmp_path: Path) -> None:
    box = tmp_path / "gen.mbox"
    box.write_bytes(generated_mbox(120))
    decided = []
    for batch in ("1", "50"):
        path = tmp_path / f"b{batch}.db"
        ok(run(path, "init"))
        out = lines(ok(run(path, "mail", "ingest", str(box), "--batch", batch, "--json")))
        decided.append([(line["decision"], line["ticket_id"]) for line in out])
    assert decided[0] == decided[1] and len(decided[0]) == 120


BIG = 1000  # messages in the mbox the kill test feeds


def test_a_kill_loses_nothing_reported_and_a_rerun_stores_nothing_twice(
    db: Path, tmp_path: Path
) -> None:
    # More than the pipe holds (some 64 KB of lines): the ingest is still running, blocked on
    # its output if not busy, when it is killed after the 50th line.
    box = tmp_path / "big.mbox"
    box.write_bytes(generated_mbox(BIG))
    env = {**os.environ, "CSTUI_DB": str(db), "CSTUI_NOW": NOW}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cstui", "mail", "ingest", str(box), "--json"],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == '{"items": [\n'
    reported = [streamed_item(proc.stdout.readline()) for _ in range(50)]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _, kept = counts(db)
    assert kept >= 50  # everything reported was committed (and maybe a little more)
    assert kept < BIG  # and the kill came half-way
    rerun = lines(ok(run(db, "mail", "ingest", str(box), "--json")))
    assert len(rerun) == BIG
    assert all(line["decision"] == "duplicate" for line in rerun[: len(reported)])
    assert [line["ticket_id"] for line in rerun[:50]] == [r["ticket_id"] for r in reported]
    assert counts(db)[1] == BIG
