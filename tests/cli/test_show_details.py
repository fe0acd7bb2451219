"""`cstui tickets show` and `list` as people read them: the green channel's own deadline,
local times that say their zone, a met first response, tiers by their label; and the same
deadline as `due.green` in JSON."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

from tests.cli.test_cli import NOW, db, ok, run, seeded  # noqa: F401  (db, seeded: fixtures)


def _unassigned(path: Path) -> list[dict[str, object]]:
    page = json.loads(ok(run(path, "tickets", "list", "--view", "unassigned", "--json")))
    return page["items"]


def test_green_deadline_in_show_and_json(db: Path) -> None:  # noqa: F811
    tid = next(int(t["id"]) for t in _unassigned(db) if not t["green_channel"])  # type: ignore[call-overload]
    ok(run(db, "tickets", "take", str(tid), agent="sue"))
    assert json.loads(ok(run(db, "tickets", "show", str(tid), "--json")))["due"]["green"] is None
    ok(
        run(
            db,
            "tickets",
            "escalate",
            str(tid),
            "--to",
            "qc",
            "--reason",
            "生鲜",
            "--green",
            agent="sue",
        )
    )
    shown = json.loads(ok(run(db, "tickets", "show", str(tid), "--json")))
    due = datetime.fromisoformat(shown["due"]["green"])
    assert due == datetime.fromisoformat(NOW) + timedelta(hours=2)
    human = ok(run(db, "tickets", "show", str(tid)))
    # 02:00 UTC is 10:00 in Shanghai (the default zone): two hours on, 12:00, labelled
    assert "green channel (2 h): due 2026-11-20 12:00 +08:00" in human


def test_show_speaks_local_time_met_and_tier_labels(db: Path) -> None:  # noqa: F811
    tid = int(_unassigned(db)[0]["id"])  # type: ignore[call-overload]
    ok(run(db, "tickets", "take", str(tid), agent="sue"))
    ok(run(db, "tickets", "reply", str(tid), "--text", "您好，马上处理", agent="sue"))
    human = ok(run(db, "tickets", "show", str(tid)))
    assert "first response: met 2026-11-20 10:00 +08:00" in human
    assert "UTC" not in human and "+00:00" not in human
    assert "first_complaint" not in human and "high_aov" not in human
    listed = ok(run(db, "tickets", "list", "--view", "all-open"))
    assert "due (+08:00)" in listed
    assert not re.search(r"\b(first_complaint|prior_complainant|high_aov)\b", listed)
