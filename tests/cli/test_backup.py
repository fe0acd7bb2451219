"""`cstui backup PATH`: a consistent copy of a SQLite store in use; PostgreSQL's answer is
the pg_dump command (exit 2), never a copy of the wrong thing."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from cstui.domain.model import MessageKind
from cstui.store import init_store, open_store
from tests.cli.test_cli import ok, run
from tests.conftest import assert_the_log_decodes
from tests.server.conftest import Served, channel_options, serve_store


def test_a_backup_taken_while_a_server_writes_opens_as_a_whole_store(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    served_stream = serve_store(db, channel_options())
    served: Served = next(served_stream)
    tid = served.new_ticket()
    stop = threading.Event()
    notes = 0

    def write() -> None:  # through the running server, as agents would
        nonlocal notes
        with served.client("ops") as ops:
            while not stop.is_set():
                answer = ops.post(f"/tickets/{tid}/messages", json={"kind": "note", "text": "在办"})
                assert answer.status_code in (200, 201), answer.text
                notes += 1

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        copies = [tmp_path / f"copy{n}.db" for n in range(3)]
        for copy in copies:
            made = json.loads(ok(run(db, "backup", str(copy), "--json")))
            assert made["path"] == str(copy) and made["bytes"] == copy.stat().st_size
    finally:
        stop.set()
        writer.join(timeout=30)
        next(served_stream, None)
    assert notes > 0
    counts = []
    for copy in copies:
        store = open_store(str(copy))
        assert_the_log_decodes(store)  # every event whole
        ticket = store.get_ticket(tid)
        counts.append(sum(m.kind is MessageKind.NOTE for m in ticket.messages))
        store.close()
    assert counts == sorted(counts)  # later copies hold at least what earlier ones did
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    db = tmp_path / "cstui.db"
    init_store(str(db)).close()
    dest = tmp_path / "backup.db"
    dest.write_text("keep me", encoding="utf-8")
    refused = run(db, "backup", str(dest))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert dest.read_text(encoding="utf-8") == "keep me"
    ok(run(db, "backup", str(dest), "--force"))
    open_store(str(dest)).close()


def test_the_store_itself_and_a_missing_store_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "cstui.db"
    init_store(str(db)).close()
    itself = run(db, "backup", str(db), "--force")
    assert itself.returncode == 2 and "the store itself" in itself.stderr
    missing = run(tmp_path / "none.db", "backup", str(tmp_path / "b.db"))
    assert missing.returncode == 6 and "no store" in missing.stderr
    assert not (tmp_path / "b.db").exists()


def test_postgresql_is_answered_with_the_pg_dump_command(tmp_path: Path) -> None:
    url = "postgresql://cstui:s3cret@db.internal:5432/helpdesk"
    result = run(tmp_path / "x.db", "--db", url, "backup", str(tmp_path / "h.dump"))
    assert result.returncode == 2
    assert "pg_dump --format=custom" in result.stderr and str(tmp_path / "h.dump") in result.stderr
    assert "postgresql://cstui:***@db.internal:5432/helpdesk" in result.stderr
    assert "s3cret" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
