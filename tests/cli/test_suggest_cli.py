"""`cstui suggest` as scripts drive it: a real process, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_one_line_error, ok, run


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suggest") / "cstui.db"
    ok(run(path, "seed", "--tickets", "20", "--seed", "4", "--json"))
    return path


def test_text_json_has_the_contract_shape(db: Path) -> None:
    out = json.loads(ok(run(db, "suggest", "--text", "我的快递到哪了 SO20261102004512", "--json")))
    assert (out["category"], out["priority"], out["risk"]) == ("logistics", "normal", "low")
    assert out["triage"]["orders"] == ["SO20261102004512"]
    assert len(out["items"]) == 3
    assert all({"id", "title", "kind", "score"} <= set(i) for i in out["items"])
    assert out["items"][0]["title"] == "如何查询订单物流？"


def test_a_ticket_templates_only_and_human_output(db: Path) -> None:
    out = json.loads(ok(run(db, "suggest", "3", "--kind", "template", "--limit", "5", "--json")))
    assert out["ticket_id"] == 3 and len(out["items"]) == 5
    assert {i["kind"] for i in out["items"]} == {"template"}
    human = ok(run(db, "suggest", "3"))
    assert human.startswith("category  ") and "\n1. [" in human


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), 1),  # neither a ticket nor a text
        (("3", "--text", "x"), 1),
        (("--text", "x", "--limit", "0"), 2),
        (("--text", "x", "--kind", "bogus"), 2),
        (("99999",), 4),
    ],
)
def test_bad_requests_are_one_line(db: Path, args: tuple[str, ...], code: int) -> None:
    assert_one_line_error(run(db, "suggest", *args), code)
