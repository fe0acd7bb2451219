"""`cstui` and `cstui demo` from outside: building the demo world, refusing without a terminal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import ok, run


def test_demo_builds_the_world_once(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    first = run(db, "demo", "--db", str(db), "--build-only")
    assert first.returncode == 0, first.stderr
    assert "building the demo world" in first.stderr
    unassigned = json.loads(
        ok(run(db, "tickets", "list", "--view", "unassigned", "--count", "--json"))
    )
    all_open = json.loads(ok(run(db, "tickets", "list", "--view", "all-open", "--count", "--json")))
    closed = json.loads(ok(run(db, "tickets", "list", "--view", "closed", "--count", "--json")))
    assert unassigned["count"] > 0 and all_open["count"] > unassigned["count"]
    assert all_open["count"] + closed["count"] == 5000
    agents = json.loads(ok(run(db, "agents", "list", "--json")))
    roles = [a["role"] for a in (agents["items"] if isinstance(agents, dict) else agents)]
    assert roles.count("agent") == 30 and roles.count("supervisor") >= 3
    again = run(db, "demo", "--db", str(db), "--build-only")
    assert again.returncode == 0 and "building" not in again.stderr  # built once


def test_console_needs_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "cstui.db"
    ok(run(db, "init"))
    result = run(db, agent="agent01")  # no subcommand: the console, but stdout is a pipe
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "terminal" in result.stderr


def test_console_needs_an_agent(tmp_path: Path) -> None:
    db = tmp_path / "cstui.db"
    ok(run(db, "init"))
    result = run(db, extra_env={"CSTUI_HEADLESS": "1"})
    assert result.returncode == 2 and "--as" in result.stderr
