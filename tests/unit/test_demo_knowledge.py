"""The demo knowledge base: fixture articles, generated extras, determinism, search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cstui.demo.knowledge import fixture_articles, knowledge_rows, load_knowledge
from cstui.domain.model import ArticleKind, ArticleLang
from cstui.store import init_store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _counts(rows) -> Counter[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return Counter((a.kind.value, a.lang.value) for a in rows)


def test_fixture_counts() -> None:
    counts = _counts(fixture_articles())
    assert counts[("faq", "zh")] >= 120
    assert counts[("faq", "en")] >= 100
    assert counts[("template", "zh")] >= 30
    assert counts[("case", "zh")] >= 10
    assert len(list(knowledge_rows(None, seed=0))) == len(fixture_articles())


def test_templates_carry_their_slug_as_first_tag() -> None:
    names = {t["name"] for t in json.loads((FIXTURES / "kb/templates.json").read_text("utf-8"))}
    templates = [a for a in fixture_articles() if a.kind is ArticleKind.TEMPLATE]
    assert {a.tags[0] for a in templates} == names
    zh = [a for a in templates if a.lang is ArticleLang.ZH]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in a.title) for a in zh)


def test_every_article_has_a_category() -> None:
    assert all(a.category is not None for a in fixture_articles())


@pytest.mark.parametrize("total", [0, 5, 389, 1000])
def test_exactly_total(total: int) -> None:
    assert sum(1 for _ in knowledge_rows(total, seed=1)) == total


def test_deterministic() -> None:
    a = list(knowledge_rows(2000, seed=3))
    assert a == list(knowledge_rows(2000, seed=3))
    assert a != list(knowledge_rows(2000, seed=4))
    extra = a[len(fixture_articles()) :]
    assert {x.lang for x in extra} == {ArticleLang.ZH, ArticleLang.EN}
    assert all(x.kind is ArticleKind.FAQ and x.category for x in extra)
    assert all(x.created_at is not None for x in a)


def test_load_and_search(tmp_path: Path) -> None:
    store = init_store(str(tmp_path / "kb.db"))
    try:
        assert load_knowledge(store, 600, seed=0, workers=0) == 600
        hits = store.search_articles("退款", limit=20)
        assert hits and any(
            h.kind is ArticleKind.TEMPLATE
            for h in store.search_articles("退款", limit=20, kind=ArticleKind.TEMPLATE)
        )
        assert store.search_articles("refund", limit=5)
        assert load_knowledge(store, 0, seed=0) == 0
    finally:
        store.close()


def _cli(db: Path, *args: str) -> str:
    env = {**os.environ, "CSTUI_CONFIG_FILE": str(db.parent / "config.toml")}
    env["CSTUI_DATA_DIR"] = str(db.parent / "data")
    env.pop("CSTUI_AGENT", None)
    result = subprocess.run(
        [sys.executable, "-m", "cstui", "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_seed_loads_the_fixture_kb_and_search_finds_it(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    counts = json.loads(_cli(db, "seed", "--tickets", "20", "--json"))
    assert counts["articles"] == len(fixture_articles())
    found = json.loads(_cli(db, "kb", "search", "退款", "--json"))["items"]
    titles = {a.title for a in fixture_articles()}
    assert found and all(h["title"] in titles for h in found)


def test_seed_kb_exact_and_none(tmp_path: Path) -> None:
    counts = json.loads(_cli(tmp_path / "a.db", "seed", "--tickets", "10", "--kb", "700", "--json"))
    assert counts["articles"] == 700
    counts = json.loads(_cli(tmp_path / "b.db", "seed", "--tickets", "10", "--kb", "0", "--json"))
    assert counts["articles"] == 0
