"""`cstui import --from zendesk|csv`: another helpdesk's history, with its ids and times,
counted in the figures; a second run adds nothing; a dry run writes nothing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from cstui.cli import foreign
from cstui.domain import metrics
from cstui.domain.model import Category, Channel, EventKind
from cstui.importing import zendesk
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.sql import SqlStore
from tests.cli.test_cli import ok, run
from tests.zendesk_export import make_export


def _write(tmp_path: Path, data: object, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _imported(db: Path, path: Path, *more: str) -> dict[str, int]:
    return json.loads(ok(run(db, "import", "--from", "zendesk", str(path), "--json", *more)))


def test_zendesk_history_counts_in_the_figures_and_a_second_run_adds_nothing(
    tmp_path: Path,
) -> None:
    data = make_export(40, seed=3)
    path, db = _write(tmp_path, data), tmp_path / "z.db"
    ok(run(db, "init"))
    dry = _imported(db, path, "--dry-run")
    assert dry["tickets"] == 40 and dry["dry_run"] is True
    assert json.loads(ok(run(db, "metrics", "--json")))["team"]["tickets_created"] == 0
    first = _imported(db, path)
    n_comments = sum(len(t["comments"]) for t in data["tickets"])
    assert (first["tickets"], first["messages"], first["skipped"]) == (40, n_comments, 0)
    again = _imported(db, path)
    assert again == {**dict.fromkeys(first, 0), "skipped": 40}
    figures = json.loads(
        ok(run(db, "metrics", "--since", "2025-01-01", "--until", "2025-04-01", "--json"))
    )
    team = figures["team"]
    done = [t for t in data["tickets"] if t["status"] in ("solved", "closed")]
    rated = Counter(t["satisfaction_rating"]["score"] for t in done)
    assert team["tickets_created"] == 40 and team["tickets_resolved"] == len(done)
    assert team["csat_responses"] == rated["good"] + rated["bad"]
    # Outside the export's months there is nothing: the original times were kept.
    later = json.loads(ok(run(db, "metrics", "--since", "2026-01-01", "--json")))
    assert later["team"]["tickets_created"] == 0


def test_times_authors_and_external_ids_are_kept(tmp_path: Path) -> None:
    data = make_export(5, seed=1)
    path, db = _write(tmp_path, data), tmp_path / "k.db"
    ok(run(db, "init"))
    _imported(db, path)
    lines = [json.loads(x) for x in ok(run(db, "export", "-")).splitlines()]
    tickets = {r["external_id"]: r for r in lines if r["type"] == "ticket"}
    source = data["tickets"][0]
    mine = tickets[f"zendesk:{source['id']}"]
    assert mine["created_at"].startswith(source["created_at"][:19])
    messages = [r for r in lines if r["type"] == "message" and r["ticket_id"] == mine["id"]]
    assert [m["body"] for m in messages] == [c["plain_body"] for c in source["comments"]]
    users = {u["id"]: u for u in data["users"]}
    first_author = users[source["comments"][0]["author_id"]]["name"]
    assert messages[0]["author"] == first_author and messages[0]["kind"] == "customer"


def test_a_store_with_history_keeps_its_ids_and_finds_customers_by_email(
    store: SqlStore,
) -> None:
    """On SQLite and PostgreSQL: ids after the store's own, a known e-mail is the same
    customer, and the store's next ticket takes the next free id."""
    wang = store.add_customer(NewCustomer("Wang", email="w@x.example"))
    earlier = store.create_ticket(
        NewTicket(wang.id, "发票", "开张发票", Channel.EMAIL, Category.INVOICE)
    )
    data = make_export(6, seed=2)
    data["users"].append({"id": 7, "name": "Wang", "email": "W@X.example", "role": "end-user"})
    data["tickets"][0]["requester_id"] = 7
    counts = foreign.run(store, zendesk.parse(data), dry_run=False, show=False)
    team_ids = {u["id"] for u in data["users"] if u["role"] != "end-user"}
    working = {t["assignee_id"] for t in data["tickets"]} | {
        c["author_id"] for t in data["tickets"] for c in t["comments"]
    }
    assert counts["tickets"] == 6 and counts["agents"] == len(team_ids & working)
    again = foreign.run(store, zendesk.parse(data), dry_run=False, show=False)
    assert again["skipped"] == 6 and again["events"] == 0
    later = store.create_ticket(
        NewTicket(wang.id, "再问", "还没开", Channel.EMAIL, Category.INVOICE)
    )
    assert later.id == earlier.id + 7  # after the six imported: the sequences moved on
    assert len(store.customer_tickets(wang.id)) == 3  # the imported one found Wang by e-mail
    kinds = Counter(e.kind for e in store.events())
    assert kinds[EventKind.CREATED] == 8
    team = metrics.compute(list(store.events()), since=datetime(2025, 1, 1, tzinfo=UTC), until=None)
    assert team.tickets_created == 8


def test_csv_with_a_column_mapping(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "Case,created_at,subject,status,customer_email,agent,from,author,body,at,csat\n"
        "A-1,2025-03-01T09:00:00,退款,resolved,li@x.example,mei,customer,,我要退款,,5\n"
        "A-1,,,,,,agent,mei,已退款,2025-03-01T10:00:00,\n"
        "A-2,2025-03-02T09:00:00,物流,open,li@x.example,,customer,,到哪了,,\n",
        encoding="utf-8",
    )
    db = tmp_path / "c.db"
    ok(run(db, "init"))
    args = ("import", "--from", "csv", str(sheet), "--column", "ticket_id=Case", "--json")
    counts = json.loads(ok(run(db, *args)))
    assert (counts["tickets"], counts["customers"], counts["agents"], counts["messages"]) == (
        2,
        1,
        1,
        3,
    )
    assert json.loads(ok(run(db, *args)))["skipped"] == 2
    team = json.loads(ok(run(db, "metrics", "--since", "2025-03-01", "--json")))["team"]
    assert team["tickets_created"] == 2 and team["tickets_resolved"] == 1
    assert team["csat_responses"] == 1 and team["avg_first_response"] == 3600


def test_a_bad_export_is_one_line_and_imports_nothing(tmp_path: Path) -> None:
    data = make_export(3)
    data["tickets"][2]["status"] = "archived"
    db = tmp_path / "b.db"
    ok(run(db, "init"))
    result = run(db, "import", "--from", "zendesk", str(_write(tmp_path, data)))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "cstui: tickets[2].status: expected one of new, open, pending, hold, solved, closed"
    )
    sheet = tmp_path / "bad.csv"
    sheet.write_text("ticket_id,created_at,customer_name\nT1,yesterday,Li\n", encoding="utf-8")
    result = run(db, "import", "--from", "csv", str(sheet))
    assert result.returncode == 2
    assert "bad.csv: line 2: created_at: not an ISO date-time" in result.stderr
    assert json.loads(ok(run(db, "metrics", "--json")))["team"]["tickets_created"] == 0


def test_a_json_lines_dry_run_counts_and_writes_nothing(tmp_path: Path) -> None:
    source, copy = tmp_path / "s.db", tmp_path / "copy.db"
    ok(run(source, "init"))
    _imported(source, _write(tmp_path, make_export(3, seed=5)))
    lines = tmp_path / "world.jsonl"
    ok(run(source, "export", str(lines)))
    kinds = Counter(json.loads(x)["type"] for x in lines.read_text("utf-8").splitlines())
    ok(run(copy, "init"))
    dry = json.loads(ok(run(copy, "import", str(lines), "--dry-run", "--json")))
    assert dry == {**kinds, "dry_run": True}
    assert json.loads(ok(run(copy, "metrics", "--json")))["team"]["tickets_created"] == 0
