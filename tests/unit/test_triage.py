"""Triage, the answer index and the auto-answer rule: pure functions, no store."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cstui.assist.policy import AssistPolicy, auto_decision
from cstui.assist.ranking import Answerable, AnswerIndex
from cstui.assist.triage import language, triage
from cstui.domain.model import ArticleKind, Category, Priority


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("我的快递到哪了", Category.LOGISTICS),
        ("where is my parcel??", Category.LOGISTICS),
        ("地址写错了 帮我改一下", Category.ADDRESS),
        ("裤子小了想换大一码", Category.RETURN),
        ("退款怎么还没到账", Category.REFUND),
        ("洗衣机坏了能上门修吗", Category.REPAIR),
        ("箱子里少了配件", Category.PARTS),
        ("怎么开发票", Category.INVOICE),
        ("优惠券用不了", Category.PROMOTION),
        ("is this genuine?", Category.PRODUCT),
        ("账号被盗了", Category.ACCOUNT),
        ("我要投诉你们客服", Category.COMPLAINT),
    ],
)
def test_category(text: str, category: Category) -> None:
    found = triage(text)
    assert found.category is category
    assert found.reasons["category"].startswith("words: ")


def test_no_category_word_is_a_product_question_with_no_confidence() -> None:
    found = triage("你好")
    assert (found.category, found.confidence) == (Category.PRODUCT, 0.0)
    assert "no category word" in found.reasons["category"]


def test_latin_words_match_whole_only() -> None:
    assert triage("a party for my department").category is Category.PRODUCT  # not "part"
    assert triage("my order has a missing part").category is Category.PARTS


def test_green_channel_needs_the_goods_and_a_problem() -> None:
    spoiled = triage("车厘子收到一半都烂了")
    assert spoiled.green and spoiled.priority is Priority.URGENT
    assert spoiled.reasons["green"] == "车厘子 + 烂"
    assert not triage("车厘子收到后怎么保存").green
    assert triage("制氧机坏了 老人每天要用").green


def test_risk_and_sentiment() -> None:
    calm = triage("请问退款多久到账")
    assert (calm.risk, calm.sentiment) == ("low", "neutral")
    angry = triage("又没到账！！！垃圾 再不退我就打12315投诉")
    assert angry.risk == "high" and angry.sentiment == "negative"
    assert angry.priority is Priority.URGENT
    assert "12315" in angry.reasons["risk"]
    assert triage("谢谢 退款收到了").sentiment == "positive"


def test_orders_and_tracking_numbers_found() -> None:
    found = triage("订单so20261102004512 运单SF1234567890123，电话13800001234")
    assert found.orders == ("SO20261102004512",)
    assert found.tracking == ("SF1234567890123",)  # an 11-digit phone is not one


def test_language() -> None:
    assert language("快递到哪了") == "zh"
    assert language("where is my parcel") == "en"
    assert language("my order 还没到 please check the tracking") == "mixed"


def test_hostile_text_is_only_data() -> None:
    found = triage("\x1b[2J退款" + "(" * 5000 + "\x00")
    assert found.category is Category.REFUND


def _articles() -> list[Answerable]:
    def a(i: int, kind: ArticleKind, lang: str, cat: Category, title: str, tags: str) -> Answerable:
        return Answerable(i, kind, lang, cat, title, tuple(tags.split()), title)

    return [
        a(1, ArticleKind.FAQ, "zh", Category.LOGISTICS, "如何查询订单物流？", "物流 查询"),
        a(2, ArticleKind.FAQ, "en", Category.LOGISTICS, "How do I track my order?", "物流 查询"),
        a(3, ArticleKind.FAQ, "zh", Category.REFUND, "退款多久能到账？", "退款 到账"),
        a(4, ArticleKind.TEMPLATE, "zh", Category.INVOICE, "发票已开具", "invoice-issued 发票"),
    ]


def test_index_ranks_by_words_category_and_language() -> None:
    index = AnswerIndex(_articles())
    ranked = index.rank("快递到哪了", triage("快递到哪了"))
    assert [a.id for a, _ in ranked][:1] == [1]
    # The English version of the same answer is not shown beside the Chinese one.
    assert 2 not in [a.id for a, _ in ranked]
    english = index.rank("where is my parcel, tracking please", triage("where is my parcel"))
    assert english[0][0].id == 2


def test_index_with_nothing_in_common_offers_the_category() -> None:
    index = AnswerIndex(_articles())
    assert [a.id for a, _ in index.rank("钱", triage("退款"))] == [3]
    assert index.rank("zzz", None) == []


def test_auto_answer_is_off_by_default_and_never_for_complaints_vips_or_green() -> None:
    calm = triage("快递到哪了")
    off = auto_decision(AssistPolicy(), calm, [20.0, 5.0], best_category=Category.LOGISTICS)
    assert not off.send and "not answered automatically" in off.reasons[0]
    on = AssistPolicy.all_on()
    assert auto_decision(on, calm, [20.0, 5.0], best_category=Category.LOGISTICS).send
    assert not auto_decision(on, calm, [20.0, 5.0], best_category=Category.LOGISTICS, vip=True).send
    green = auto_decision(on, calm, [20.0, 5.0], best_category=Category.LOGISTICS, green=True)
    assert green.reasons == ("green channel",)
    close = auto_decision(on, calm, [20.0, 15.0], best_category=Category.LOGISTICS)
    assert close.reasons == ("two answers close (20.0 / 15.0)",)
    elsewhere = auto_decision(on, calm, [20.0, 5.0], best_category=Category.REFUND)
    assert not elsewhere.send
    complaint = replace(calm, category=Category.COMPLAINT)
    everything = replace(on, categories=frozenset(Category))
    assert not auto_decision(everything, complaint, [20.0], best_category=Category.COMPLAINT).send
