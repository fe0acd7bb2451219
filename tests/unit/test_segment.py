"""Cutting text and queries for search, checked against a real FTS5 table.

The index holds `segment.index_text(text)`; a query is `query.parse(text).fts5()`. The
properties: every substring of a Chinese text finds it, every run of whole words of a mixed
text finds it, and no input whatsoever makes an invalid FTS5 expression.
"""

from __future__ import annotations

import importlib
import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cstui.errors import BadInput
from cstui.search.query import MAX_QUERY_CHARS, highlight, parse, snippet
from cstui.search.segment import SEPARATOR, index_text, index_tokens, normalize, tags_tokens

MIGRATION = importlib.import_module("cstui.store.migrations.versions.0002_knowledge_base")

# Common characters of e-commerce service text, and a few rare ones (extension B, kana).
HAN = (
    "退款物流发票货会员售后质检维修配件优惠券双十一"
    + "抬头运费险七天无理由价格保护的了是订单\U00020000ア"
)
han_text = st.text(alphabet=HAN, min_size=1, max_size=40)
WORDS = ["iPhone", "15", "VIP", "refund", "SF", "618", "e", "mail", "OR", "NEAR", "x2"]
PUNCT = [" ", "，", "。", ",", "-", ":", "*", '"', "(", ")", " ", "\n"]


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    """The knowledge base's FTS5 tables, as migration 0002 creates them, in memory."""
    conn = sqlite3.connect(":memory:")
    for statement in MIGRATION.FTS5_TABLES:
        conn.execute(statement)
    yield conn
    conn.close()


def found(conn: sqlite3.Connection, text: str, query: str) -> bool:
    """Index `text` alone as the body, then run the query over it."""
    conn.execute("INSERT INTO kb_fts(kb_fts) VALUES ('delete-all')")
    conn.execute(
        "INSERT INTO kb_fts (rowid, title, tags, body, facets) VALUES (1, '', '', ?, '')",
        (index_text(text),),
    )
    parsed = parse(query)
    if not parsed.terms:
        return False
    match = parsed.fts5()
    return (
        conn.execute("SELECT count(*) FROM kb_fts WHERE kb_fts MATCH ?", (match,)).fetchone()[0]
        == 1
    )


# -- cutting ------------------------------------------------------------------------------


def test_cjk_runs_become_bigrams_and_their_last_character() -> None:
    assert index_tokens("退款流程") == ["退款", "款流", "流程", "程"]
    assert index_tokens("退") == ["退"]
    assert index_tokens("退款，物流") == ["退款", "款", "物流", "流"]


def test_words_are_folded_and_split_where_letters_meet_digits() -> None:
    assert index_tokens("iPhone15 维修") == ["iphone", "15", "维修", "修"]
    assert index_tokens("ＶＩＰ会员 ６１８") == ["vip", "会员", "员", "618"]
    assert index_tokens("{customer_name} e-mail") == ["customer", "name", "e", "mail"]


def test_tags_never_join_into_one_phrase() -> None:
    assert tags_tokens(["退款", "售后"]) == ["退款", "款", SEPARATOR, "售后", "后"]
    assert tags_tokens(["", "  "]) == []


def test_tokens_hold_only_letters_digits_and_cjk() -> None:
    tokens = index_tokens("a+b=c; \"quoted\" (x) 'y' \\ z* 退:款 NEAR/2 ^ ~")
    assert all(re.fullmatch(r"\w+", t) and "_" not in t for t in tokens)


# -- queries ------------------------------------------------------------------------------


def test_query_terms() -> None:
    assert parse("退款").fts5() == '"退款"'
    assert parse("退款流程").fts5() == '"退款 款流 流程"'
    assert parse("退").fts5() == '"退"*'
    assert parse("iPhone 15 维修").fts5() == '"iphone" AND "15" AND "维修"'
    assert parse("iPhone15维修 ").fts5() == '"iphone 15" AND "维修"'
    assert parse('"维修 iPhone" ').fts5() == '"维修 修 iphone"'


def test_the_last_word_is_a_prefix_while_typing() -> None:
    assert parse("refu").fts5() == '"refu"*'
    assert parse("refu ").fts5() == '"refu"'
    assert parse("qc").fts5() == '"qc"'  # too short to expand
    assert parse("退款 ref").fts5() == '"退款" AND "ref"*'
    assert parse("refu", prefix_last=False).fts5() == '"refu"'


def test_operators_are_words_and_punctuation_separates() -> None:
    assert parse("a OR b NEAR c ").fts5() == '"a" AND "or" AND "b" AND "near" AND "c"'
    assert parse("col:term (x) -y ").fts5() == '"col term" AND "x" AND "y"'
    assert parse('"***" ').terms == ()


def test_tsquery_is_the_same_terms() -> None:
    assert parse("退款流程 iPhone15 款").tsquery() == (
        "('退款' <-> '款流' <-> '流程') & ('iphone' <-> '15') & ('款':*)"
    )


def test_empty_and_huge_queries_are_bad_input() -> None:
    for bad in ("", "   ", "\n"):
        with pytest.raises(BadInput, match="query"):
            parse(bad)
    with pytest.raises(BadInput, match="query"):
        parse("退" * (MAX_QUERY_CHARS + 1))


# -- properties against FTS5 ----------------------------------------------------------------


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=han_text, data=st.data())
@example(text="退款物流", data=None)
def test_any_substring_of_chinese_text_is_found(
    fts: sqlite3.Connection, text: str, data: st.DataObject | None
) -> None:
    """1-, 2- and longer-character words, at the start, middle or end of a run."""
    spans = [(0, 2), (1, 3), (2, 4), (3, 4), (0, 4)]
    if data is not None:
        start = data.draw(st.integers(0, len(text) - 1))
        spans = [(start, data.draw(st.integers(start + 1, len(text))))]
    for start, end in spans:
        needle = text[start:end]
        assert found(fts, text, needle), (text, needle)
        assert found(fts, text, f'"{needle}"'), (text, needle)


segment = st.one_of(han_text, st.sampled_from(WORDS), st.sampled_from(PUNCT))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(segment, min_size=1, max_size=12), data=st.data())
def test_any_run_of_whole_words_of_mixed_text_is_found(
    fts: sqlite3.Connection, parts: list[str], data: st.DataObject
) -> None:
    """A contiguous run of the text, cut anywhere in Chinese and between words elsewhere,
    finds it, quoted (a phrase) or not."""
    text = "".join(parts)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assume(not _inside_a_word(text, start) and not _inside_a_word(text, end))
    needle = text[start:end].replace('"', " ")
    assume(needle.strip() and parse(needle + " ").terms)
    assert found(fts, text, needle), (text, needle)
    assert found(fts, text, f'"{needle}"'), (text, needle)


def _inside_a_word(text: str, i: int) -> bool:
    """Between two letters or two digits: a word, not a place to cut a query."""
    if not 0 < i < len(text):
        return False
    a, b = text[i - 1], text[i]
    return (a.isascii() and b.isascii()) and (
        (a.isalpha() and b.isalpha()) or (a.isdigit() and b.isdigit())
    )


@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=MAX_QUERY_CHARS))
@example(query="\" * : ( - OR NEAR ^ + { } \\ ' NOT AND")
@example(query='NEAR("a" "b", 2)')
@example(query="{title}: x")
@example(query='"unterminated')
def test_no_input_makes_an_invalid_fts5_expression(fts: sqlite3.Connection, query: str) -> None:
    try:
        parsed = parse(query)
    except BadInput:
        assert not query.strip() or len(normalize(query)) > MAX_QUERY_CHARS
        return
    if parsed.terms:
        fts.execute("SELECT count(*) FROM kb_fts WHERE kb_fts MATCH ?", (parsed.fts5(),))
        parsed.tsquery()


# -- highlighting and snippets --------------------------------------------------------------


@given(text=han_text, data=st.data())
def test_highlights_cover_every_occurrence_and_nothing_else(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    needle = text[start : data.draw(st.integers(start + 1, len(text)))]
    spans = highlight(text, parse(needle + " "))
    covered = {i for s, e in spans for i in range(s, e)}
    expected = {
        i
        for at in range(len(text))
        if text.startswith(needle, at)
        for i in range(at, at + len(needle))
    }
    assert covered == expected


def test_snippet_is_a_window_around_the_first_match() -> None:
    body = "前言" * 60 + "如需开具发票，请在订单详情页填写发票抬头。" + "结尾" * 60
    text, spans = snippet(body, parse("发票抬头"))
    assert text.startswith("…") and text.endswith("…")
    assert [text[s:e] for s, e in spans] == ["发票抬头"]
    assert sum(2 if ord(c) > 0x1100 else 1 for c in text) <= 80 + 4


def test_snippet_keeps_english_words_whole_and_highlights_case_insensitively() -> None:
    body = "Refunds are returned to the original payment method within 7 days after QC. " * 3
    text, spans = snippet(body, parse("REFUND"))
    assert {text[s:e] for s, e in spans} == {"Refund"}
    assert not text.rstrip("…").endswith(("Refun", "metho"))


def test_snippet_of_text_without_a_match_is_its_start() -> None:
    assert snippet("短文本", parse("退款")) == ("短文本", ())
