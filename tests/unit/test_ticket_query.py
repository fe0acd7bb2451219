"""The ticket search language: filters, words, OR, and one-line errors for the malformed."""

from __future__ import annotations

from datetime import date

import pytest

from cstui.errors import BadInput, BadQuery
from cstui.search.ticket_query import Filter, parse_ticket_query


def test_filters_and_words_are_told_apart() -> None:
    q = parse_ticket_query("status:open tier:vip channel:chat owner:me created>2026-11-01 退款")
    assert q.filters == (
        Filter("status", "=", "open"),
        Filter("tier", "=", "vip"),
        Filter("channel", "=", "chat"),
        Filter("owner", "=", "me"),
        Filter("created", ">", date(2026, 11, 1)),
    )
    assert q.fts5() == '("退款")'


def test_words_are_cut_like_the_knowledge_base() -> None:
    q = parse_ticket_query("退款流程 iPhone15")
    assert q.fts5() == '("退款 款流 流程") AND ("iphone 15")'
    assert q.tsquery() == "(('退款' <-> '款流' <-> '流程')) & (('iphone' <-> '15'))"


def test_upper_case_or_joins_the_words_beside_it() -> None:
    q = parse_ticket_query("退款 OR 退货 快递")
    assert q.fts5() == '("退款" OR "退货") AND ("快递")'
    assert q.tsquery() == "(('退款') | ('退货')) & (('快递'))"


@pytest.mark.parametrize("text", ["or", '"OR"', "Or"])
def test_or_in_lower_case_or_quoted_is_a_word(text: str) -> None:
    assert parse_ticket_query(f"退款 {text} 退货").fts5() == '("退款") AND ("or") AND ("退货")'


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("OR", "OR needs a word on each side"),
        ("OR 退款", "OR needs a word on each side"),
        ("退款 OR", "OR at the end"),
        ("退款 OR OR 退货", "OR needs a word on each side"),
        ("退款 OR status:open", "OR joins words, not filters"),
        ("statu:open", "unknown filter 'statu'"),
        ("status:bogus", "status:bogus: unknown status"),
        ("status:", "status needs a value"),
        ("created>2026-13-01", "created takes a date"),
        ("owner>bob", "only created compares"),
        ("customer:abc", "customer takes a number"),
        ("!!!", "nothing to search for"),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_a_malformed_query_is_one_line_naming_the_problem(text: str, names: str) -> None:
    with pytest.raises(BadQuery) as raised:
        parse_ticket_query(text)
    message = str(raised.value)
    assert names in message and message.startswith("q: ") and "\n" not in message
    assert isinstance(raised.value, BadInput) and raised.value.http_status == 400


def test_text_that_merely_looks_like_syntax_is_text() -> None:
    q = parse_ticket_query("a>b 10:30 #123")
    assert not q.filters
    assert q.fts5() == '("a b") AND ("10 30") AND ("123")'


def test_an_empty_query_has_neither_filters_nor_words() -> None:
    q = parse_ticket_query("   ")
    assert (q.filters, q.clauses) == ((), ())


def test_id_and_customer_take_numbers() -> None:
    q = parse_ticket_query("id:#42 customer:7")
    assert q.filters == (Filter("id", "=", 42), Filter("customer", "=", 7))
