"""Knowledge capture and quick-response templates, as scripts drive them: real processes,
exit codes, one-line errors and JSON (CONTRACT.md: `kb capture`, `kb publish`,
`kb search --drafts`, `tickets reply --template`)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_one_line_error, ok, run

REPLY = "已为您申请蓝莓果酱补发，预计明天发出。"  # no fixture article says 蓝莓果酱
NOTE = "内部：仓库说库存只剩三瓶"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One seeded world (fixture knowledge base included) for the module to copy, with an
    unassigned ticket that has an order taken by dora: the store, and that ticket as
    `tickets list --json` showed it before the take."""
    path = tmp_path_factory.mktemp("seeded") / "cstui.db"
    ok(run(path, "seed", "--tickets", "40", "--seed", "11", "--json"))
    ok(run(path, "agents", "add", "sue", "--role", "supervisor"))
    ok(run(path, "agents", "add", "dora", "--role", "agent", "--display-name", "小朵"))
    page = json.loads(ok(run(path, "tickets", "list", "--view", "unassigned", "--json")))
    chosen = next(t for t in page["items"] if t["order"] is not None)
    ok(run(path, "tickets", "take", str(chosen["id"]), agent="dora"))
    return path, json.dumps(chosen)


@pytest.fixture
def db(seeded: tuple[Path, str], tmp_path: Path) -> Path:
    path = tmp_path / "cstui.db"
    with sqlite3.connect(seeded[0]) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


@pytest.fixture
def ticket(seeded: tuple[Path, str], db: Path) -> dict:
    """The unassigned ticket with an order that dora took (in `db`, this test's copy)."""
    return dict(json.loads(seeded[1]))


def search_ids(db: Path, query: str, *flags: str) -> list[int]:
    found = json.loads(ok(run(db, "kb", "search", query, "--json", *flags)))
    return [item["id"] for item in found["items"]]


def capture(db: Path, ticket_id: int) -> int:
    ok(run(db, "tickets", "reply", str(ticket_id), "--text", REPLY, agent="dora"))
    ok(run(db, "tickets", "note", str(ticket_id), "--text", NOTE, agent="dora"))
    out = json.loads(ok(run(db, "kb", "capture", str(ticket_id), "--json", agent="dora")))
    assert out["draft"] is True
    return int(out["id"])


class TestCapture:
    def test_a_draft_holds_the_thread_and_no_internal_note(self, db: Path, ticket: dict) -> None:
        article_id = capture(db, ticket["id"])
        shown = json.loads(ok(run(db, "kb", "show", str(article_id), "--json")))
        assert shown["draft"] is True and shown["source_ticket_id"] == ticket["id"]
        assert (shown["kind"], shown["category"], shown["author"]) == (
            "case",
            ticket["category"],
            "dora",
        )
        assert shown["title"] == ticket["subject"] and REPLY in shown["body"]
        assert NOTE not in shown["body"] and "仓库" not in shown["body"]
        human = ok(run(db, "kb", "show", str(article_id)))
        assert "draft" in human and f"from ticket #{ticket['id']}" in human

    def test_a_draft_is_found_only_once_a_supervisor_publishes_it(
        self, db: Path, ticket: dict
    ) -> None:
        article_id = capture(db, ticket["id"])
        assert article_id not in search_ids(db, "蓝莓果酱")
        assert article_id not in search_ids(db, "蓝莓果酱", "--fast")
        drafts = json.loads(ok(run(db, "kb", "search", "蓝莓果酱", "--drafts", "--json")))
        assert [(i["id"], i["draft"]) for i in drafts["items"]] == [(article_id, True)]
        assert "draft" in ok(run(db, "kb", "search", "蓝莓果酱", "--drafts"))
        assert_one_line_error(run(db, "kb", "publish", str(article_id), agent="dora"), 5)
        assert article_id not in search_ids(db, "蓝莓果酱")
        published = json.loads(ok(run(db, "kb", "publish", str(article_id), "--json", agent="sue")))
        assert published["draft"] is False and published["version"] == 2
        assert search_ids(db, "蓝莓果酱") == [article_id]
        assert search_ids(db, "蓝莓果酱", "--fast") == [article_id]
        assert_one_line_error(run(db, "kb", "publish", str(article_id), agent="sue"), 3)

    def test_capture_errors(self, db: Path, ticket: dict) -> None:
        assert_one_line_error(run(db, "kb", "capture", "999999", agent="dora"), 4)
        assert_one_line_error(run(db, "kb", "capture", str(ticket["id"])), 2)  # no --as
        assert_one_line_error(run(db, "kb", "publish", "999999", agent="sue"), 4)

    def test_export_and_import_keep_the_draft_flag(
        self, db: Path, ticket: dict, tmp_path: Path
    ) -> None:
        article_id = capture(db, ticket["id"])
        world = tmp_path / "world.jsonl"
        ok(run(db, "export", str(world)))
        copy = tmp_path / "copy.db"
        ok(run(copy, "import", str(world)))
        shown = json.loads(ok(run(copy, "kb", "show", str(article_id), "--json")))
        assert shown["draft"] is True and shown["source_ticket_id"] == ticket["id"]
        assert article_id not in search_ids(copy, "蓝莓果酱")
        ok(run(copy, "kb", "publish", str(article_id), agent="sue"))
        assert search_ids(copy, "蓝莓果酱") == [article_id]


def add_template(db: Path, slug: str, body: str) -> int:
    out = run(db, "kb", "add", "--kind", "template", "--title", f"模板 {slug}", "--body", body,
              "--tags", f"{slug},测试", "--json", agent="sue")  # fmt: skip
    return int(json.loads(ok(out))["id"])


def reply(db: Path, ticket_id: int, *args: str) -> tuple[dict, str]:
    result = run(db, "tickets", "reply", str(ticket_id), *args, "--json", agent="dora")
    return json.loads(ok(result)), result.stderr


class TestTemplates:
    def test_a_template_is_filled_from_the_ticket(self, db: Path, ticket: dict) -> None:
        add_template(db, "order-check", "{customer_name}您好，订单{order_id}已查到。—{agent_name}")
        out, stderr = reply(db, ticket["id"], "--template", "order-check", "--text", "还有问题吗？")
        name, number = ticket["customer"]["name"], ticket["order"]["number"]
        assert out["text"] == f"{name}您好，订单{number}已查到。—小朵\n\n还有问题吗？"
        assert out["missing"] == [] and out["template"]["title"] == "模板 order-check"
        assert stderr == ""
        shown = json.loads(ok(run(db, "tickets", "show", str(ticket["id"]), "--json")))
        assert shown["messages"][-1]["text"] == out["text"]

    def test_a_template_named_by_its_id_without_text(self, db: Path, ticket: dict) -> None:
        template_id = add_template(db, "ticket-no", "工单号{ticket_id}")
        out, _ = reply(db, ticket["id"], "--template", str(template_id))
        assert out["text"] == f"工单号{ticket['id']}" and out["template"]["id"] == template_id

    def test_a_fixture_template_by_its_slug(self, db: Path, ticket: dict) -> None:
        """The seeded knowledge base's templates are named by their first tag."""
        out, _ = reply(db, ticket["id"], "--template", "logistics-status")
        assert ticket["order"]["number"] in out["text"]
        assert "{order_id}" not in out["text"] and "{agent_name}" not in out["text"]

    def test_missing_placeholders_stay_and_are_warned(self, db: Path, ticket: dict) -> None:
        add_template(db, "coupon", "{customer_name}，优惠券{coupon_code}已发放，{product_name}")
        result = run(db, "tickets", "reply", str(ticket["id"]), "--template", "coupon",
                     agent="dora")  # fmt: skip
        assert result.returncode == 0
        (warning,) = result.stderr.strip().splitlines()
        assert "coupon" in warning and "{coupon_code}" in warning and "{product_name}" in warning
        out, stderr = reply(db, ticket["id"], "--template", "coupon")
        assert out["missing"] == ["coupon_code", "product_name"]
        assert "{coupon_code}" in out["text"] and ticket["customer"]["name"] in out["text"]
        assert len(stderr.strip().splitlines()) == 1

    def test_an_unknown_template_exits_4_and_sends_nothing(self, db: Path, ticket: dict) -> None:
        before = json.loads(ok(run(db, "tickets", "show", str(ticket["id"]), "--json")))
        result = run(db, "tickets", "reply", str(ticket["id"]), "--template", "no-such-tpl",
                     "--text", "x", agent="dora")  # fmt: skip
        assert_one_line_error(result, 4)
        assert "no-such-tpl" in result.stderr
        after = json.loads(ok(run(db, "tickets", "show", str(ticket["id"]), "--json")))
        assert after["messages"] == before["messages"]

    def test_text_or_template_is_required(self, db: Path, ticket: dict) -> None:
        result = run(db, "tickets", "reply", str(ticket["id"]), agent="dora")
        assert_one_line_error(result, 2)
        assert "--text" in result.stderr
        out, _ = reply(db, ticket["id"], "--text", "您好")
        assert out["text"] == "您好" and out["missing"] == [] and out["template"] is None
