"""The CLI as scripts drive it: real processes, exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

NOW = "2026-11-20T02:00:00+00:00"


def run(
    db: Path,
    *args: str,
    agent: str | None = None,
    stdin: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CSTUI_DB": str(db),
        "CSTUI_NOW": NOW,
        "CSTUI_CONFIG_FILE": str(db.parent / "config.toml"),
        **(extra_env or {}),
    }
    env.pop("CSTUI_AGENT", None)
    if agent:
        env["CSTUI_AGENT"] = agent
    return subprocess.run(
        [sys.executable, "-m", "cstui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded world, made once by the CLI for the module's tests to copy."""
    path = tmp_path_factory.mktemp("seeded") / "cstui.db"
    ok(run(path, "seed", "--tickets", "60", "--seed", "7", "--json"))
    ok(run(path, "agents", "add", "sue", "--role", "supervisor"))
    return path


@pytest.fixture
def db(seeded: Path, tmp_path: Path) -> Path:
    """A test's own copy of the seeded world (60 tickets, supervisor sue)."""
    path = tmp_path / "cstui.db"
    with sqlite3.connect(seeded) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


def first_unassigned(db: Path) -> int:
    page = json.loads(ok(run(db, "tickets", "list", "--view", "unassigned", "--json")))
    return int(page["items"][0]["id"])


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cstui: "), result.stderr
    assert "Traceback" not in result.stderr


class TestErrors:
    def test_missing_store_is_unreachable(self, tmp_path: Path) -> None:
        assert_one_line_error(run(tmp_path / "none.db", "tickets", "list"), 6)

    def test_corrupt_store(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.db"
        bad.write_bytes(b"this is not a database" * 100)
        assert_one_line_error(run(bad, "tickets", "list"), 6)

    def test_newer_schema_is_refused(self, db: Path) -> None:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
        result = run(db, "tickets", "list")
        assert_one_line_error(result, 6)
        assert "newer" in result.stderr

    def test_unknown_view_and_department_are_bad_input(self, db: Path) -> None:
        assert_one_line_error(run(db, "tickets", "list", "--view", "everything"), 2)
        tid = first_unassigned(db)
        ok(run(db, "tickets", "take", str(tid), agent="agent01"))
        result = run(
            db, "tickets", "escalate", str(tid), "--to", "mars", "--reason", "x", agent="agent01"
        )
        assert_one_line_error(result, 2)
        assert "--to" in result.stderr

    def test_invalid_config_file(self, db: Path) -> None:
        (db.parent / "config.toml").write_text("lang = 'klingon'\n")
        result = run(db, "tickets", "list")
        assert_one_line_error(result, 2)
        assert "lang" in result.stderr

    def test_unknown_ticket_is_not_found(self, db: Path) -> None:
        assert_one_line_error(run(db, "tickets", "show", "999999"), 4)

    def test_agent_cannot_approve(self, db: Path) -> None:
        tid = first_unassigned(db)
        ok(run(db, "tickets", "take", str(tid), agent="agent01"))
        out = json.loads(
            ok(
                run(
                    db,
                    "tickets",
                    "transfer",
                    str(tid),
                    "--to",
                    "agent02",
                    "--reason",
                    "language",
                    "--json",
                    agent="agent01",
                )
            )
        )
        request = out["request"]["id"]
        assert_one_line_error(run(db, "tickets", "approve", str(request), agent="agent03"), 5)
        ok(run(db, "tickets", "approve", str(request), agent="sue"))
        shown = json.loads(ok(run(db, "tickets", "show", str(tid), "--json")))
        assert shown["owner"] == "agent02"


class TestWorkflow:
    def test_escalating_keeps_owner_and_resolve_exits_3(self, db: Path) -> None:
        tid = first_unassigned(db)
        ok(run(db, "tickets", "take", str(tid), "--as", "agent05"))
        ok(run(db, "tickets", "reply", str(tid), "--text", "您好，我们马上处理", agent="agent05"))
        esc = json.loads(
            ok(
                run(
                    db,
                    "tickets",
                    "escalate",
                    str(tid),
                    "--to",
                    "warehouse",
                    "--reason",
                    "退货未入库",
                    "--json",
                    agent="agent05",
                )
            )
        )
        assert esc["state"] == "requested"
        shown = json.loads(ok(run(db, "tickets", "show", str(tid), "--json")))
        assert shown["owner"] == "agent05" and shown["escalations"][-1]["department"] == "warehouse"
        result = run(db, "tickets", "resolve", str(tid), "--code", "refunded", agent="agent05")
        assert_one_line_error(result, 3)
        assert "escalation" in result.stderr

    def test_list_json_shape_and_count(self, db: Path) -> None:
        page = json.loads(
            ok(run(db, "tickets", "list", "--view", "all-open", "--limit", "5", "--json"))
        )
        assert set(page) == {"items", "next_cursor"} and len(page["items"]) == 5
        item = page["items"][0]
        for key in (
            "id",
            "subject",
            "status",
            "priority",
            "channel",
            "category",
            "owner",
            "dispatch_count",
            "version",
            "green_channel",
            "customer",
            "order",
            "due",
            "escalations",
            "links",
        ):
            assert key in item
        assert set(item["due"]) == {"first_response", "next_response", "resolution", "green"}
        nxt = json.loads(
            ok(
                run(
                    db,
                    "tickets",
                    "list",
                    "--view",
                    "all-open",
                    "--limit",
                    "5",
                    "--cursor",
                    page["next_cursor"],
                    "--json",
                )
            )
        )
        assert not {t["id"] for t in nxt["items"]} & {t["id"] for t in page["items"]}
        count = json.loads(
            ok(run(db, "tickets", "list", "--view", "unassigned", "--count", "--json"))
        )
        assert count["count"] > 0

    def test_take_several_reports_each(self, db: Path) -> None:
        page = json.loads(ok(run(db, "tickets", "list", "--view", "unassigned", "--json")))
        a, b = page["items"][0]["id"], page["items"][1]["id"]
        ok(run(db, "tickets", "take", str(a), agent="agent01"))
        result = run(db, "tickets", "take", str(a), str(b), "--json", agent="agent02")
        assert result.returncode == 3
        results = {r["id"]: r for r in json.loads(result.stdout)["results"]}
        assert results[a]["ok"] is False and results[a]["owner"] == "agent01"
        assert results[b]["ok"] is True and results[b]["owner"] == "agent02"

    def test_metrics_json(self, db: Path) -> None:
        figures = json.loads(ok(run(db, "metrics", "--json")))["team"]
        assert 0 <= figures["csat"] <= 1 and figures["tickets_created"] == 60


class TestImportExport:
    def test_seed_is_deterministic(self, tmp_path: Path) -> None:
        a, b = tmp_path / "a.db", tmp_path / "b.db"
        for path in (a, b):
            ok(run(path, "seed", "--tickets", "40", "--seed", "3"))
            ok(run(path, "export", str(path.with_suffix(".jsonl"))))
        assert a.with_suffix(".jsonl").read_bytes() == b.with_suffix(".jsonl").read_bytes()

    def test_round_trip_and_all_or_nothing(self, db: Path, tmp_path: Path) -> None:
        dump = tmp_path / "dump.jsonl"
        ok(run(db, "export", str(dump)))
        lines = dump.read_text().splitlines()
        target = tmp_path / "copy.db"
        ok(run(target, "import", str(dump)))
        again = tmp_path / "again.jsonl"
        ok(run(target, "export", str(again)))
        assert again.read_text() == dump.read_text()

        broken = tmp_path / "broken.jsonl"
        record = json.loads(lines[5])
        record["created_at"] = "yesterday-ish"
        lines[5] = json.dumps(record)
        broken.write_text("\n".join(lines) + "\n")
        fresh = tmp_path / "fresh.db"
        result = run(fresh, "import", str(broken))
        assert_one_line_error(result, 2)
        assert "line 6" in result.stderr and "created_at" in result.stderr
        assert not fresh.exists()


@pytest.mark.slow
def test_twenty_concurrent_takes_one_winner(db: Path) -> None:
    """20 processes race to take one ticket: exactly one exits 0, the rest 3 naming it."""
    tid = first_unassigned(db)
    agents = [f"agent{i:02d}" for i in range(1, 21)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(lambda a: (a, run(db, "tickets", "take", str(tid), "--as", a)), agents)
        )
    winners = [a for a, r in results if r.returncode == 0]
    assert len(winners) == 1
    losers = [r for _, r in results if r.returncode != 0]
    assert all(r.returncode == 3 for r in losers), [r.stderr for r in losers]
    assert all(f"already owned by {winners[0]}" in r.stderr for r in losers)
    shown = json.loads(ok(run(db, "tickets", "show", str(tid), "--json")))
    assert shown["owner"] == winners[0] and shown["dispatch_count"] == 1
