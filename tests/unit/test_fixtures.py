"""The hand-written source content of the demo world in `fixtures/` is complete and consistent.

The seed generator and the knowledge base load these files as they are, so every value that
names a domain concept must be one of the domain's enums, every placeholder must be one the
template filler knows, and the promised amounts of content must be there.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cstui.domain.model import (
    GREEN_GOODS,
    Category,
    ComplaintCause,
    Department,
    GoodsType,
    Priority,
    ResolutionCode,
    Shift,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FILES = (
    "kb/faq.json",
    "kb/templates.json",
    "kb/cases.json",
    "people.json",
    "products.json",
    "scenarios.json",
)
TEXT_FILES = ("kb/faq.json", "kb/templates.json", "kb/cases.json", "scenarios.json")
PLACEHOLDERS = frozenset(
    {
        "customer_name",
        "order_id",
        "tracking_no",
        "refund_amount",
        "agent_name",
        "ticket_id",
        "due_date",
        "product_name",
        "carrier",
        "coupon_code",
    }
)
CATEGORIES = {c.value for c in Category}
GOODS = {g.value for g in GoodsType}
PRIORITIES = {p.value for p in Priority}
DEPARTMENTS = {d.value for d in Department}
RESOLUTIONS = {r.value for r in ResolutionCode}
CAUSES = {c.value for c in ComplaintCause}
SHIFTS = {s.value for s in Shift}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SENTENCE_END = re.compile(r"[。！？!?]")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _load(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def faq() -> list[dict[str, Any]]:
    return _load("kb/faq.json")


@pytest.fixture(scope="module")
def templates() -> list[dict[str, Any]]:
    return _load("kb/templates.json")


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return _load("kb/cases.json")


@pytest.fixture(scope="module")
def people() -> dict[str, Any]:
    return _load("people.json")


@pytest.fixture(scope="module")
def products() -> list[dict[str, Any]]:
    return _load("products.json")


@pytest.fixture(scope="module")
def scenarios() -> list[dict[str, Any]]:
    return _load("scenarios.json")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


# How a reply greets and signs differs by language ("亲，您好" where English says
# "Hello {customer_name}"); the facts a ticket fills in must be the same in both.
_ADDRESSING = frozenset({"customer_name", "agent_name"})


def _facts(text: str) -> set[str]:
    return _placeholders(text) - _ADDRESSING


def _check_money(lang: str, text: str, where: str) -> None:
    """{refund_amount} is filled with a bare number: the text carries the currency."""
    written = "{refund_amount}元" if lang == "zh" else "¥{refund_amount}"
    assert text.count("{refund_amount}") == text.count(written), f"{where}: {text!r}"


def _texts(article: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(language, text) for every title and body of a KB article."""
    for lang in ("zh", "en"):
        if article[lang] is not None:
            yield lang, article[lang]["title"]
            yield lang, article[lang]["body"]


def _scenario_texts(scenario: dict[str, Any]) -> Iterator[dict[str, str]]:
    yield scenario["subject"]
    yield from scenario["thread"]


# ------------------------------------------------------------------------------ all files


@pytest.mark.parametrize("rel", FILES)
def test_file_is_pretty_utf8_json_with_no_empty_text(rel: str) -> None:
    raw = (FIXTURES / rel).read_bytes()
    text = raw.decode("utf-8")
    data = json.loads(text)
    assert "\\u" not in text, "written with ensure_ascii=False"
    assert text == json.dumps(data, ensure_ascii=False, indent=2) + "\n", "pretty-printed"
    for s in _strings(data):
        assert s.strip(), f"empty text in {rel}"
        assert s == s.strip(), f"stray whitespace in {rel}: {s!r}"


def test_total_size_is_modest() -> None:
    total = sum((FIXTURES / rel).stat().st_size for rel in FILES)
    assert total < 2_000_000


@pytest.mark.parametrize("rel", TEXT_FILES)
def test_braces_are_only_known_placeholders(rel: str) -> None:
    for s in _strings(_load(rel)):
        unknown = _placeholders(s) - PLACEHOLDERS
        assert not unknown, f"unknown placeholder {unknown} in {s!r}"
        stripped = _PLACEHOLDER.sub("", s)
        assert "{" not in stripped and "}" not in stripped, f"unbalanced brace in {s!r}"


# ------------------------------------------------------------------------------ knowledge base


def test_kb_keys_are_unique_across_kinds(
    faq: list[dict[str, Any]], templates: list[dict[str, Any]], cases: list[dict[str, Any]]
) -> None:
    keys = [a["key"] for a in faq + templates + cases]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    assert all(k.startswith("faq-") for k in (a["key"] for a in faq))
    assert all(k.startswith("tpl-") for k in (a["key"] for a in templates))
    assert all(k.startswith("case-") for k in (a["key"] for a in cases))


def _check_article(article: dict[str, Any], *, en_required: bool) -> None:
    assert article["category"] in CATEGORIES, article["key"]
    assert article["tags"] and len(set(article["tags"])) == len(article["tags"]), article["key"]
    assert set(article["zh"]) == {"title", "body"}
    if en_required or article["en"] is not None:
        assert article["en"] is not None and set(article["en"]) == {"title", "body"}, article["key"]
    for lang, text in _texts(article):
        if lang == "zh":
            assert _CJK.search(text), f"{article['key']}: zh text without Chinese: {text!r}"
        else:
            assert not _CJK.search(text), f"{article['key']}: Chinese in en text: {text!r}"


def test_faq_count_coverage_and_english_share(faq: list[dict[str, Any]]) -> None:
    assert len(faq) >= 130
    for article in faq:
        _check_article(article, en_required=False)
    assert {a["category"] for a in faq} == CATEGORIES, "every category has FAQs"
    with_en = sum(1 for a in faq if a["en"] is not None)
    assert with_en / len(faq) >= 0.85


def test_faq_bodies_are_two_to_six_sentences_without_placeholders(
    faq: list[dict[str, Any]],
) -> None:
    for article in faq:
        body = article["zh"]["body"]
        sentences = len(_SENTENCE_END.findall(body.rstrip("。！？!?"))) + 1
        assert 2 <= sentences <= 6, f"{article['key']}: {sentences} sentences"
        for _, text in _texts(article):
            assert not _placeholders(text), f"{article['key']} is pasted verbatim"


def test_faq_covers_the_high_frequency_topics(faq: list[dict[str, Any]]) -> None:
    text = "\n".join(t for a in faq for _, t in _texts(a) if _CJK.search(t))
    topics = """
        快递柜 偏远 签收 改派 7天无理由 质检 运费险 支付宝 微信支付 银行卡 花呗 部分退款
        电子发票 增值税专用发票 抬头 税号 双十一 618 跨店满减 定金 价保 叠加 会员 积分
        保修 寄修 上门维修 配件 验证码 支付密码 实名认证 尺码 生鲜 医疗器械 投诉 回访
    """
    for word in topics.split():
        assert word in text, word


def test_templates(templates: list[dict[str, Any]]) -> None:
    assert len(templates) >= 34
    names = [t["name"] for t in templates]
    assert len(set(names)) == len(names)
    for t in templates:
        _check_article(t, en_required=True)
        assert _SLUG.match(t["name"]), t["name"]
        assert t["key"] == f"tpl-{t['name']}"
        assert _placeholders(t["zh"]["body"]), f"{t['key']} has no placeholder"
        # Filling a template from a ticket must give the same facts in either language.
        assert _facts(t["zh"]["body"]) == _facts(t["en"]["body"]), t["key"]
        for lang, text in _texts(t):
            _check_money(lang, text, t["key"])


def test_cases(cases: list[dict[str, Any]]) -> None:
    assert len(cases) >= 12
    for c in cases:
        _check_article(c, en_required=True)
        sentences = len(_SENTENCE_END.findall(c["zh"]["body"]))
        assert 5 <= sentences <= 10, f"{c['key']}: {sentences} sentences"
        for _, text in _texts(c):
            assert not _placeholders(text), c["key"]


# ------------------------------------------------------------------------------ products


def test_products(products: list[dict[str, Any]]) -> None:
    assert len(products) >= 60
    for lang in ("zh", "en"):
        names = [p["name"][lang] for p in products]
        assert len(set(names)) == len(names), f"duplicate {lang} product names"
    for p in products:
        assert p["goods_type"] in GOODS
        lo, hi = p["price_range"]
        assert 0 < lo < hi, p["name"]
        assert _CJK.search(p["name"]["zh"]) and not _CJK.search(p["name"]["en"])
    per_type = Counter(p["goods_type"] for p in products)
    assert set(per_type) == GOODS
    assert min(per_type.values()) >= 8


# ------------------------------------------------------------------------------ scenarios


def test_scenarios_are_valid(
    scenarios: list[dict[str, Any]], products: list[dict[str, Any]]
) -> None:
    keys = [s["key"] for s in scenarios]
    assert len(set(keys)) == len(keys)
    goods_of = {p["name"]["zh"]: p["goods_type"] for p in products}
    for s in scenarios:
        key = s["key"]
        assert _SLUG.match(key), key
        assert s["category"] in CATEGORIES, key
        assert s["goods_type"] in GOODS, key
        assert s["priority"] in PRIORITIES, key
        assert s["escalate_to"] is None or s["escalate_to"] in DEPARTMENTS, key
        assert s["resolution_code"] in RESOLUTIONS, key
        assert s["customer_lang"] in {"zh", "en"}, key
        assert isinstance(s["green_channel"], bool) and isinstance(s["vip"], bool)
        assert isinstance(s["second_complaint"], bool)
        cause = s["complaint_cause"]
        assert (cause is not None) == (s["category"] == Category.COMPLAINT), key
        assert cause is None or cause in CAUSES, key
        if s["second_complaint"]:
            assert s["category"] == Category.COMPLAINT, key
        if s["green_channel"]:
            assert s["goods_type"] in GREEN_GOODS and s["priority"] == Priority.URGENT, key
        for name in s["products"]:
            assert goods_of.get(name) == s["goods_type"], f"{key}: product {name!r}"

        thread = s["thread"]
        assert 2 <= len(thread) <= 6, key
        assert thread[0]["from"] == "customer", key
        assert {m["from"] for m in thread} <= {"customer", "agent", "note"}, key
        assert any(m["from"] == "agent" for m in thread), key
        for item in _scenario_texts(s):
            assert set(item) - {"from"} == {"zh", "en"}, key
            assert _CJK.search(item["zh"]), f"{key}: zh without Chinese: {item['zh']!r}"
            assert not _CJK.search(item["en"]), f"{key}: Chinese in en: {item['en']!r}"
            assert _facts(item["zh"]) == _facts(item["en"]), key
            _check_money("zh", item["zh"], key)
            _check_money("en", item["en"], key)


def test_scenarios_cover_every_situation(scenarios: list[dict[str, Any]]) -> None:
    by_category = Counter(s["category"] for s in scenarios)
    for category in CATEGORIES:
        assert by_category[category] >= 4, category
    green = Counter(s["goods_type"] for s in scenarios if s["green_channel"])
    assert green[GoodsType.FRESH] >= 4 and green[GoodsType.MEDICAL] >= 4
    assert sum(s["vip"] for s in scenarios) >= 4
    first = Counter(s["complaint_cause"] for s in scenarios if not s["second_complaint"])
    for cause in CAUSES:
        assert first[cause] >= 4, cause
    assert sum(s["second_complaint"] for s in scenarios) >= 4
    assert sum(s["customer_lang"] == "en" for s in scenarios) >= 10
    for goods in GOODS:
        assert any(s["goods_type"] == goods for s in scenarios), goods
    assert {s["escalate_to"] for s in scenarios} >= DEPARTMENTS
    assert {s["resolution_code"] for s in scenarios} == RESOLUTIONS
    assert {s["priority"] for s in scenarios} == PRIORITIES


# ------------------------------------------------------------------------------ people


def test_chinese_names(people: dict[str, Any]) -> None:
    zh = people["zh"]
    surnames = [s["name"] for s in zh["surnames"]]
    assert len(surnames) >= 120 and len(set(surnames)) == len(surnames)
    assert all(s["weight"] > 0 for s in zh["surnames"])
    assert all(1 <= len(s) <= 2 and _CJK.fullmatch(s[0]) for s in surnames)
    chars = [c for group in zh["given_chars"].values() for c in group]
    names = [n for group in zh["given_names"].values() for n in group]
    assert all(len(c) == 1 and _CJK.match(c) for c in chars)
    assert all(len(n) == 2 and _CJK.match(n[0]) and _CJK.match(n[1]) for n in names)
    for group in (*zh["given_chars"].values(), *zh["given_names"].values()):
        assert len(set(group)) == len(group)
    assert len(set(chars)) + len(set(names)) >= 200


def test_english_names(people: dict[str, Any]) -> None:
    given = [n for group in people["en"]["given"].values() for n in group]
    assert len(set(given)) >= 60
    assert len(set(people["en"]["surnames"])) >= 40
    assert all(n[0].isupper() and not _CJK.search(n) for n in given + people["en"]["surnames"])


def test_places_and_phones(people: dict[str, Any]) -> None:
    cities = people["cities"]
    assert len(cities) >= 40
    assert len({(c["province"], c["city"]) for c in cities}) == len(cities)
    for c in cities:
        assert c["districts"] and len(set(c["districts"])) == len(c["districts"]), c["city"]
        assert re.fullmatch(r"\d{6}", c["postcode"]), c["city"]
        assert c["municipality"] == (c["province"] == c["city"])
    assert any(c["remote"] for c in cities)
    address = people["address"]
    assert len(address["streets"]) >= 20 and len(address["communities"]) >= 20
    prefixes = people["mobile_prefixes"]
    assert len(set(prefixes)) == len(prefixes)
    assert all(re.fullmatch(r"1[3-9]\d", p) for p in prefixes)
    for required in (*range(130, 140), *range(180, 190), 198, 199):
        assert str(required) in prefixes
    assert any(p.startswith("17") for p in prefixes)
    assert any(p.startswith("15") for p in prefixes)


def test_carriers(people: dict[str, Any]) -> None:
    carriers = people["carriers"]
    required = {"顺丰速运", "中通快递", "圆通速递", "韵达快递"}
    required |= {"申通快递", "京东物流", "邮政EMS", "极兔速递"}
    assert {c["zh"] for c in carriers} >= required
    assert len({c["code"] for c in carriers}) == len(carriers)
    for c in carriers:
        prefix, digits = c["tracking"]["prefix"], c["tracking"]["digits"]
        assert re.fullmatch(r"[A-Z0-9]+", prefix) and digits >= 8
        assert 12 <= len(prefix) + digits <= 16, c["code"]


def test_team(people: dict[str, Any]) -> None:
    agents, supervisors = people["agents"], people["supervisors"]
    assert len(agents) == 30 and len(supervisors) == 4
    team = agents + supervisors
    for field in ("id", "name", "display", "name_en"):
        values = [p[field] for p in team]
        assert len(set(values)) == len(values), field
    assert {p["role"] for p in agents} == {"agent"}
    assert {p["role"] for p in supervisors} == {"supervisor"}
    for p in team:
        assert p["shift"] in SHIFTS
        assert "zh" in p["languages"] and set(p["languages"]) <= {"zh", "en"}
    assert {p["shift"] for p in agents} == SHIFTS
    assert {p["shift"] for p in supervisors} == SHIFTS
    assert sum("en" in p["languages"] for p in agents) >= 3
