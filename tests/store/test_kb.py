"""The knowledge base on every backend: recall, ranking, edits, filters and the log.

Recall is checked against an oracle written here with plain string and regex tests, not
with the search package: every article whose title, body or tags contain the query's
Chinese words (as substrings) and its other words (as whole words) must be found, and
nothing is found that does not at least contain every query word as a substring.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from alembic import command

from cstui.domain.model import (
    ArticleKind,
    ArticleLang,
    Category,
    Channel,
    EventKind,
    MessageKind,
    Role,
    SearchHit,
)
from cstui.errors import BadInput, Conflict, NotFound, PermissionDenied, StaleVersion
from cstui.store import SqlStore, init_store
from cstui.store.base import NewArticle, NewCustomer, NewOrder, NewTicket
from cstui.store.kb import bulk as kb_bulk
from cstui.store.kb.capture import guess_lang
from cstui.store.migrations import alembic_config, upgrade

FAQ, TEMPLATE, CASE = ArticleKind.FAQ, ArticleKind.TEMPLATE, ArticleKind.CASE
ZH, EN = ArticleLang.ZH, ArticleLang.EN

# (title, body, kind, lang, tags): what a team's knowledge base holds, Chinese, English and
# mixed, with the common words at the start, middle and end of sentences, and articles that
# hold the characters of a word apart (退回…款项, 物 流), which must not be found for it.
ARTICLES: list[tuple[str, str, ArticleKind, ArticleLang, list[str]]] = [
    ("退款", "退款进度可在“我的订单”中查看；原路退回，信用卡以银行到账为准。", FAQ, ZH, []),
    (
        "退款多久到账？",
        "您好，退款将在仓库质检通过后1-3个工作日内原路退回。如使用信用卡支付，到账时间以银行为准。",
        FAQ,
        ZH,
        ["退款", "售后"],
    ),
    (
        "如何申请七天无理由退货",
        "签收后7天内，在订单详情页点击“申请售后”，选择退货原因并寄回商品。商品需保持完好，配件齐全。",
        FAQ,
        ZH,
        ["退货"],
    ),
    (
        "物流信息长时间不更新怎么办",
        "双十一期间快递量大，物流信息可能延迟24小时更新。超过48小时未更新，请联系客服登记，"
        "我们会催促顺丰或京东物流核实。",
        FAQ,
        ZH,
        ["物流", "双十一"],
    ),
    (
        "发票抬头填错了可以修改吗",
        "订单完成前可在“我的订单-发票”中修改发票抬头和税号；已开具的电子发票需先红冲再重开。",
        FAQ,
        ZH,
        ["发票"],
    ),
    (
        "VIP会员专属客服通道",
        "年消费满5万元的VIP会员享有专属客服通道，工单优先处理，响应时间不超过10分钟。",
        FAQ,
        ZH,
        ["会员", "VIP"],
    ),
    (
        "iPhone 15 维修与保修",
        "iPhone 15 在保修期内的非人为故障可免费维修；"
        "屏幕碎裂等人为损坏需付费更换配件。维修周期约5个工作日。",
        FAQ,
        ZH,
        ["维修", "Apple"],
    ),
    (
        "Refund policy",
        "Refunds are returned to the original payment method within 3 business days after the "
        "returned parcel passes quality inspection (质检).",
        FAQ,
        EN,
        ["refund"],
    ),
    (
        "How to request a VAT invoice",
        "Enter the invoice title (发票抬头) and tax ID on the order page. Invoices are emailed "
        "within 2 working days.",
        FAQ,
        EN,
        ["invoice"],
    ),
    (
        "双十一优惠券使用规则",
        "双十一期间领取的优惠券可与店铺满减叠加使用，但不可与618活动券同时使用。优惠券过期不退。",
        FAQ,
        ZH,
        ["优惠券", "双十一"],
    ),
    (
        "618 大促价格保护",
        "618 期间购买的商品享受15天价格保护，降价可申请退还差价。",
        FAQ,
        ZH,
        ["618", "价格保护"],
    ),
    (
        "退款进度回复模板",
        "亲爱的{customer_name}，您的订单{order_id}退款{refund_amount}元已提交，预计1-3个工作日到账。",
        TEMPLATE,
        ZH,
        ["退款"],
    ),
    (
        "Shipping delay reply",
        "Dear {customer_name}, your parcel {tracking_no} is delayed by the courier. We have "
        "escalated it to our logistics team (物流).",
        TEMPLATE,
        EN,
        ["物流", "shipping"],
    ),
    (
        "温暖服务案例：生鲜退货绿色通道",
        "客户收到的大闸蟹死亡，客服当天走绿色通道，仓库30分钟内登记，2小时内完成退款并补发。客户后来成为会员。",
        CASE,
        ZH,
        ["生鲜", "绿色通道"],
    ),
    (
        "质检不合格的换货处理",
        "退回的洗衣机经质检部检测为主板故障，客服全程跟进，3个工作日内完成换货，客户满意度5分。",
        CASE,
        ZH,
        ["质检", "换货"],
    ),
    (
        "售后服务网点查询",
        "全国售后服务网点可在官网查询。部分偏远地区需寄修，往返运费由我们承担。",
        FAQ,
        ZH,
        ["售后"],
    ),
    ("账户安全提醒", "客服不会索要您的密码或验证码。如发现账户异常，请立即修改密码。", FAQ, ZH, []),
    ("退回商品的款项说明", "商品退回后，款项将按原支付方式返还。物 流单号请保留。", FAQ, ZH, []),
    (
        "Return and exchange FAQ",
        "You can return or exchange items within 7 days. Members (会员) get free return shipping. "
        "Refunds for returns are issued after QC.",
        FAQ,
        EN,
        ["return"],
    ),
    (
        "AirPods Pro 配件补发",
        "AirPods Pro 耳塞套等配件丢失，可在售后页面申请配件补发，VIP 会员免运费。",
        FAQ,
        ZH,
        ["配件"],
    ),
    ("会员积分规则", "会员积分可兑换优惠券；积分有效期为12个月。", FAQ, ZH, ["会员"]),
    (
        "Account security",
        "We will never ask for your password. iPhone users can enable two-factor authentication.",
        FAQ,
        EN,
        [],
    ),
    ("修改收货地址", "订单发货前可修改收货地址；已发货订单请联系物流公司改派。", FAQ, ZH, ["地址"]),
    ("开票说明", "如需退款，请联系客服，我们会先红冲原发票", FAQ, ZH, []),
]

# The project's own queries: every two-character word the trigram tokenizer misses, longer
# words, English, mixed, one character, full-width and upper-case input.
QUERIES = [
    "退款", "物流", "发票", "退货", "会员", "售后", "质检",
    "退款 refund", "iPhone 15 维修", "双十一 优惠券", "618", "发票抬头", "VIP 会员",
    "七天无理由退货", "绿色通道", "AirPods 配件", "退",
    "refund", "invoice", "return", "Refund policy", "{customer_name}", "ＩＰＨＯＮＥ", "REFUND",
]  # fmt: skip

CJK = "\u4e00-\u9fff"


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _words(query: str) -> list[str]:
    """The query's Chinese runs and its runs of letters and of digits."""
    return re.findall(rf"[{CJK}]+|[a-z]+|[0-9]+", _plain(query))


def _text(article: tuple[str, str, ArticleKind, ArticleLang, list[str]]) -> str:
    title, body, _, _, tags = article
    return _plain(" | ".join([title, body, *tags]))


def must_find(article: tuple[str, str, ArticleKind, ArticleLang, list[str]], query: str) -> bool:
    """Chinese words as substrings, other words as whole words."""
    text = _text(article)
    for word in _words(query):
        if re.fullmatch(f"[{CJK}]+", word):
            found = word in text
        else:
            cls = "0-9" if word.isdigit() else "a-z"
            found = re.search(rf"(?<![{cls}]){re.escape(word)}(?![{cls}])", text) is not None
        if not found:
            return False
    return True


def may_find(article: tuple[str, str, ArticleKind, ArticleLang, list[str]], query: str) -> bool:
    """Every query word at least as a substring (a typed word may be a prefix)."""
    text = _text(article)
    return all(word in text for word in _words(query))


@pytest.fixture
def kb(store: SqlStore) -> dict[str, int]:
    """The articles above, added by the supervisor; title → id."""
    ids = {}
    for title, body, kind, lang, tags in ARTICLES:
        article = store.add_article(
            title=title, body=body, kind=kind, lang=lang, tags=tags, actor="sue"
        )
        ids[title] = article.id
    return ids


def ids(hits: list[SearchHit]) -> list[int]:
    return [h.article_id for h in hits]


class TestRecall:
    @pytest.mark.parametrize("query", QUERIES)
    def test_every_article_holding_the_words_is_found(
        self, store: SqlStore, kb: dict[str, int], query: str
    ) -> None:
        expected = {kb[a[0]] for a in ARTICLES if must_find(a, query)}
        allowed = {kb[a[0]] for a in ARTICLES if may_find(a, query)}
        found = set(ids(store.search_articles(query, limit=100)))
        assert expected, f"no article holds {query!r}: the test set is wrong"
        assert expected <= found, f"missed: {sorted(expected - found)}"
        assert found <= allowed, f"wrongly found: {sorted(found - allowed)}"
        unranked = ids(store.search_articles_unranked(query, limit=100))
        assert expected <= set(unranked) <= allowed
        assert store.count_matches(query) == len(found)

    def test_recall_table(self, store: SqlStore, kb: dict[str, int]) -> None:
        """One line per query: expected, found, recall (printed with -s)."""
        total = 0
        for query in QUERIES:
            expected = {kb[a[0]] for a in ARTICLES if must_find(a, query)}
            found = set(ids(store.search_articles(query, limit=100)))
            recall = len(expected & found) / len(expected)
            print(f"{query!r:>20} expected {len(expected):2} found {len(found):2} {recall:.0%}")
            total += recall == 1
        assert total == len(QUERIES)

    def test_characters_apart_are_not_the_word(self, store: SqlStore, kb: dict[str, int]) -> None:
        apart = kb["退回商品的款项说明"]  # 退回…款项 and 物 流: neither 退款 nor 物流
        assert apart not in ids(store.search_articles("退款", limit=100))
        assert apart not in ids(store.search_articles("物流", limit=100))
        assert apart in ids(store.search_articles("退 款", limit=100))

    @pytest.mark.parametrize(
        "query",
        ['"', "*", ":", "(", "-", "OR", "NEAR", "AND NOT", "'", "\\", "a:b", "^x", "{title}: 退款",
         'NEAR("退款" "物流", 2)', '"unterminated 退款', "退款)", "x' OR '1'='1", "%", "_", "ア"],
    )  # fmt: skip
    def test_syntax_in_the_query_is_text(
        self, store: SqlStore, kb: dict[str, int], query: str
    ) -> None:
        store.search_articles(query)
        store.search_articles_unranked(query)

    def test_empty_query_and_bad_limit_are_bad_input(self, store: SqlStore) -> None:
        for query in ("", "   "):
            with pytest.raises(BadInput, match="query"):
                store.search_articles(query)
        with pytest.raises(BadInput, match="limit"):
            store.search_articles("退款", limit=0)


class TestRanking:
    @pytest.mark.parametrize(
        ("query", "first"),
        [
            ("退款", "退款"),
            ("发票抬头", "发票抬头填错了可以修改吗"),
            ("refund", "Refund policy"),
            ("iPhone 15 维修", "iPhone 15 维修与保修"),
            ("VIP 会员", "VIP会员专属客服通道"),
            ("绿色通道", "温暖服务案例：生鲜退货绿色通道"),
        ],
    )
    def test_a_title_match_ranks_first(
        self, store: SqlStore, kb: dict[str, int], query: str, first: str
    ) -> None:
        assert ids(store.search_articles(query))[0] == kb[first]

    def test_title_and_tag_matches_come_before_body_matches(
        self, store: SqlStore, kb: dict[str, int]
    ) -> None:
        by_id = {kb[a[0]]: a for a in ARTICLES}
        for query in ("退款", "物流", "会员", "质检", "售后"):
            heads = [
                query in _plain(by_id[i][0] + " ".join(by_id[i][4]))
                for i in ids(store.search_articles(query))
            ]
            assert heads == sorted(heads, reverse=True), query

    def test_snippets_show_and_mark_the_match(self, store: SqlStore, kb: dict[str, int]) -> None:
        hit = store.search_articles("质检部")[0]
        assert hit.article_id == kb["质检不合格的换货处理"]
        assert [hit.snippet[s:e] for s, e in hit.highlights] == ["质检部"]
        assert "[质检部]" in hit.marked()
        (en,) = [h for h in store.search_articles("quality inspection") if h.lang is EN]
        assert {en.snippet[s:e] for s, e in en.highlights} == {"quality", "inspection"}

    def test_kind_and_language_filters(self, store: SqlStore, kb: dict[str, int]) -> None:
        templates = store.search_articles("退款", kind=TEMPLATE)
        assert ids(templates) == [kb["退款进度回复模板"]]
        english = store.search_articles("物流", lang=EN)
        assert ids(english) == [kb["Shipping delay reply"]]
        assert store.search_articles("物流", kind=CASE, lang=EN) == []


class TestWriting:
    def test_an_edit_is_searchable_at_once(self, store: SqlStore) -> None:
        a = store.add_article(title="运费说明", body="退货运费由买家承担。", actor="sue")
        assert a.id in ids(store.search_articles("买家承担"))
        edited = store.update_article(
            a.id, actor="sue", body="退货可使用运费险理赔。", tags=["运费险"], expected_version=1
        )
        assert edited.version == 2 and edited.tags == ("运费险",)
        assert ids(store.search_articles("运费险")) == [a.id]
        assert ids(store.search_articles_unranked("理赔")) == [a.id]
        assert store.search_articles("买家承担") == []
        store.update_article(a.id, actor="sue", title="运费险理赔说明")
        assert ids(store.search_articles("理赔说明")) == [a.id]
        assert store.get_article(a.id).body == "退货可使用运费险理赔。"

    def test_writes_are_logged(self, store: SqlStore) -> None:
        a = store.add_article(title="Invoice", body="VAT invoices.", lang=EN, actor="alice")
        store.update_article(a.id, actor="sue", title="VAT invoice")
        log = [e for e in store.events() if e.kind.value.startswith("article")]
        assert [(e.kind, e.actor, e.new["article_id"]) for e in log] == [
            (EventKind.ARTICLE_ADDED, "alice", a.id),
            (EventKind.ARTICLE_EDITED, "sue", a.id),
        ]
        assert log[1].new["changed"] == ["title"] and log[1].old == {"version": 1}

    def test_only_the_author_or_a_supervisor_edits(self, store: SqlStore) -> None:
        a = store.add_article(title="地址修改", body="发货前可修改。", actor="alice")
        with pytest.raises(PermissionDenied):
            store.update_article(a.id, actor="bob", body="随时可改。")
        store.update_article(a.id, actor="alice", body="发货前可修改收货地址。")
        store.update_article(a.id, actor="sue", body="发货前可在订单页修改收货地址。")
        with pytest.raises(StaleVersion):
            store.update_article(a.id, actor="sue", body="x", expected_version=1)

    def test_bad_articles_are_refused(self, store: SqlStore) -> None:
        with pytest.raises(BadInput, match="title"):
            store.add_article(title="  ", body="x", actor="sue")
        with pytest.raises(BadInput, match="body"):
            store.add_article(title="x", body="", actor="sue")
        with pytest.raises(BadInput, match="tags"):
            store.add_article(title="x", body="y", tags=["t" * 41], actor="sue")
        with pytest.raises(NotFound):
            store.add_article(title="x", body="y", actor="nobody")
        with pytest.raises(NotFound):
            store.get_article(999)
        with pytest.raises(BadInput, match="nothing to change"):
            store.update_article(1, actor="sue")

    def test_an_article_keeps_its_fields(self, store: SqlStore) -> None:
        a = store.add_article(
            title="  双十一  预售 ",
            body="定金不退。\n",
            kind=CASE,
            lang=ZH,
            tags=["预售", " 预售 ", "", "定金"],
            category=Category.PROMOTION,
            actor="sue",
        )
        got = store.get_article(a.id)
        assert got == a
        assert (got.title, got.body, got.tags) == ("双十一 预售", "定金不退。", ("预售", "定金"))
        assert (got.kind, got.category, got.author, got.version) == (
            CASE,
            Category.PROMOTION,
            "sue",
            1,
        )

    def test_bulk_add_indexes_and_logs_every_article(self, store: SqlStore) -> None:
        rows = [
            NewArticle(f"常见问题 {i}", f"第{i}条：退款与物流说明 refund #{i}", author="sue")
            for i in range(1, 251)
        ]
        assert store.bulk_add_articles(rows, batch=100, workers=0) == 250
        assert store.count_matches("退款") == 250
        assert ids(store.search_articles("常见问题 137", limit=1)) != []
        (loaded,) = [e for e in store.events() if e.kind is EventKind.ARTICLES_LOADED]
        assert loaded.new == {"count": 250, "first_id": 1, "last_id": 250}
        one = store.add_article(title="新文章", body="退款", actor="sue")
        assert one.id == 251


@pytest.mark.parametrize("start", ["fork", "spawn", None])
def test_bulk_add_in_worker_processes_is_the_same(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch, start: str | None
) -> None:
    """From the second batch on, batches are cut in other processes (forked or spawned),
    or here when no process can be started."""
    context = multiprocessing.get_context(start) if start else None
    monkeypatch.setattr(kb_bulk, "_process_context", lambda: context)
    rows = [NewArticle(f"物流问题 {i}", f"第{i}条 iPhone{i} 维修", lang=ZH) for i in range(300)]
    assert store.bulk_add_articles(rows, batch=40, workers=2) == 300
    assert store.count_matches("维修") == 300
    assert ids(store.search_articles("iPhone 299", limit=1)) == [300]
    assert [h.title for h in store.search_articles("物流问题 7", limit=1)] == ["物流问题 7"]


def test_import_rebuilds_the_index(tmp_path: Path) -> None:
    """Export holds the articles, not the index; an import indexes what it brings."""
    source = init_store(str(tmp_path / "a.db"))
    from cstui.domain.model import Role

    source.add_agent("sue", Role.SUPERVISOR)
    source.add_article(title="发票抬头修改", body="订单完成前可修改发票抬头。", actor="sue")
    records = list(source.export_records())
    assert {r["type"] for r in records} >= {"article", "event"}
    target = init_store(str(tmp_path / "b.db"))
    target.import_records(enumerate(records, 1))
    assert [h.title for h in target.search_articles("发票抬头")] == ["发票抬头修改"]
    source.close()
    target.close()


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSTUI_DB": str(db), "CSTUI_CONFIG_FILE": str(db.parent / "c.toml")}
    env.pop("CSTUI_AGENT", None)
    return subprocess.run(
        [sys.executable, "-m", "cstui", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_kb_add_and_search(tmp_path: Path) -> None:
    """CONTRACT.md: `kb add … --json` → {"id"}, `kb search … --json` → {"items": [...]}."""
    db = tmp_path / "cstui.db"
    assert cli(db, "init").returncode == 0
    assert cli(db, "agents", "add", "sue", "--role", "supervisor").returncode == 0
    title, body = "发票抬头怎么改", "订单完成前可修改发票抬头。"
    added = cli(db, "kb", "add", "--title", title, "--body", body, "--tags", "发票，售后",
                "--as", "sue", "--json")  # fmt: skip
    assert added.returncode == 0, added.stderr
    article_id = json.loads(added.stdout)["id"]
    found = cli(db, "kb", "search", "发票", "--json")
    (item,) = json.loads(found.stdout)["items"]
    assert item["id"] == article_id and item["kind"] == "faq" and item["lang"] == "zh"
    assert item["title"] == title and "[发票]" in item["snippet"]
    human = cli(db, "kb", "search", "抬头 ", "--lang", "zh")
    assert human.returncode == 0 and "[抬头]" in human.stdout
    for bad in (["kb", "search", " "], ["kb", "search", "x", "--kind", "nope"]):
        refused = cli(db, *bad)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert cli(db, "kb", "add", "--title", "t", "--body", "b").returncode == 2  # no --as


# -- knowledge capture: drafts from a ticket's thread, published by a supervisor -----------


def worked_ticket(
    store: SqlStore,
    *,
    subject: str = "退款三天了还没到账",
    question: str = "我的退款三天了还没到账，能帮我查一下吗？",
    reply: str = "您好，退款已原路退回，银行处理需要1-3个工作日，请留意到账短信。",
    category: Category = Category.REFUND,
) -> int:
    """A ticket alice owns: two questions, her reply, and an internal note."""
    customer = store.add_customer(NewCustomer("李雷", phone="13800001111"))
    number = f"SO{customer.id:08d}"
    store.add_order(NewOrder(number, customer.id, 299.0, tracking_no="SF1234567890"))
    ticket = store.create_ticket(
        NewTicket(customer.id, subject, question, Channel.CHAT, category, order_number=number)
    )
    store.take(ticket.id, actor="alice")
    store.customer_message(ticket.id, text="另外，运费也会一起退吗？")
    store.add_message(ticket.id, actor="alice", kind=MessageKind.NOTE, text="内部：财务已确认")
    store.add_message(ticket.id, actor="alice", kind=MessageKind.REPLY, text=reply)
    return ticket.id


class TestCapture:
    def test_a_draft_case_holds_the_thread_without_notes(self, store: SqlStore) -> None:
        tid = worked_ticket(store)
        draft = store.capture_article(tid, actor="alice")
        assert draft.draft and draft.source_ticket_id == tid
        assert (draft.kind, draft.category, draft.lang, draft.author) == (
            CASE,
            Category.REFUND,
            ZH,
            "alice",
        )
        assert draft.title == "退款三天了还没到账" and draft.tags == ("退款", "refund")
        body = draft.body
        assert "内部" not in body and "财务已确认" not in body
        order = ["客户问题", "我的退款三天了", "运费也会一起退", "客服答复", "退款已原路退回"]
        assert [body.index(part) for part in order] == sorted(body.index(p) for p in order)
        assert "李雷" not in body and "alice" not in body  # nobody is named
        assert store.get_article(draft.id) == draft
        (added,) = [e for e in store.events() if e.kind is EventKind.ARTICLE_ADDED]
        assert added.new == {
            "article_id": draft.id,
            "kind": "case",
            "title": draft.title,
            "draft": True,
            "source_ticket_id": tid,
        }

    def test_an_english_thread_makes_an_english_case(self, store: SqlStore) -> None:
        tid = worked_ticket(
            store,
            subject="Parcel not delivered",
            question="My parcel has not arrived after a week. Where is it?",
            reply="Sorry for the wait: the courier (顺丰) delivers it tomorrow.",
            category=Category.LOGISTICS,
        )
        draft = store.capture_article(tid, actor="bob")
        assert draft.lang is EN and draft.tags == ("logistics", "物流")
        assert draft.body.startswith("Question:\nMy parcel") and "Answer:\nSorry" in draft.body

    @pytest.mark.parametrize(
        ("text", "lang"),
        [("退款", ZH), ("iPhone 15 屏幕碎了怎么保修", ZH), ("Refund (退款) please", EN), ("", ZH)],
    )
    def test_the_language_is_guessed_from_the_text(self, text: str, lang: ArticleLang) -> None:
        assert guess_lang(text) is lang

    def test_unknown_ticket_or_agent(self, store: SqlStore) -> None:
        with pytest.raises(NotFound, match="ticket 999"):
            store.capture_article(999, actor="alice")
        tid = worked_ticket(store)
        with pytest.raises(NotFound, match="nobody"):
            store.capture_article(tid, actor="nobody")


class TestDrafts:
    def test_a_draft_is_found_only_once_published(self, store: SqlStore) -> None:
        store.add_article(title="退款说明", body="退款原路退回。", actor="sue")
        draft = store.capture_article(worked_ticket(store), actor="alice")
        for query in ("原路退回", "到账短信", "运费"):
            assert draft.id not in ids(store.search_articles(query, limit=100))
            assert draft.id not in ids(store.search_articles(query, kind=CASE, lang=ZH))
            assert draft.id not in ids(store.search_articles_unranked(query, limit=100))
            assert draft.id in ids(store.search_articles(query, include_drafts=True))
            assert draft.id in ids(store.search_articles_unranked(query, include_drafts=True))
        assert store.count_matches("原路退回") == 1
        assert store.count_matches("原路退回", include_drafts=True) == 2
        published = store.publish_article(draft.id, actor="sue")
        assert not published.draft and published.version == 2
        assert store.get_article(draft.id) == published
        assert ids(store.search_articles("到账短信")) == [draft.id]
        assert ids(store.search_articles_unranked("到账短信")) == [draft.id]
        assert draft.id in ids(store.search_articles("退款", kind=CASE, lang=ZH))
        (event,) = [e for e in store.events() if e.kind is EventKind.ARTICLE_PUBLISHED]
        assert (event.actor, event.new, event.old) == (
            "sue",
            {"article_id": draft.id, "version": 2},
            {"version": 1},
        )

    def test_only_a_supervisor_or_an_admin_publishes(self, store: SqlStore) -> None:
        store.add_agent("ada", Role.ADMIN)
        first = store.capture_article(worked_ticket(store), actor="alice")
        with pytest.raises(PermissionDenied, match="supervisor"):
            store.publish_article(first.id, actor="alice")
        assert store.get_article(first.id).draft
        assert not store.publish_article(first.id, actor="ada").draft
        with pytest.raises(Conflict, match="already published"):
            store.publish_article(first.id, actor="sue")
        with pytest.raises(NotFound):
            store.publish_article(999, actor="sue")

    def test_a_draft_is_edited_by_its_author_or_a_supervisor(self, store: SqlStore) -> None:
        draft = store.capture_article(worked_ticket(store), actor="alice")
        with pytest.raises(PermissionDenied):
            store.update_article(draft.id, actor="bob", title="x")
        edited = store.update_article(draft.id, actor="alice", title="退款到账时间（银行处理）")
        assert edited.draft
        assert draft.id not in ids(store.search_articles("银行处理"))
        store.update_article(draft.id, actor="sue", tags=["退款", "到账时间"])
        store.publish_article(draft.id, actor="sue")
        assert ids(store.search_articles("银行处理")) == [draft.id]
        assert ids(store.search_articles("到账时间")) == [draft.id]

    def test_export_and_import_keep_drafts(self, store: SqlStore, tmp_path: Path) -> None:
        draft = store.capture_article(worked_ticket(store), actor="alice")
        store.add_article(title="退款说明", body="退款原路退回。", actor="sue")
        records = list(store.export_records())
        (line,) = [r for r in records if r["type"] == "article" and r["id"] == draft.id]
        assert (line["draft"], line["source_ticket_id"]) == (1, draft.source_ticket_id)
        copy = init_store(str(tmp_path / "copy.db"))
        copy.import_records(enumerate(records, 1))
        assert copy.get_article(draft.id) == draft
        found = ids(copy.search_articles("原路退回"))
        assert found and draft.id not in found
        assert draft.id in ids(copy.search_articles("原路退回", include_drafts=True))
        copy.publish_article(draft.id, actor="sue")
        assert draft.id in ids(copy.search_articles("到账短信"))
        copy.close()

    def test_an_article_line_without_the_flag_is_published(self, tmp_path: Path) -> None:
        """Files exported before drafts existed still import."""
        target = init_store(str(tmp_path / "old.db"))
        line = {"type": "article", "id": 1, "kind": "faq", "title": "退款", "body": "原路退回",
                "lang": "zh", "tags": "[]", "version": 1,
                "created_at": "2026-11-01T00:00:00+00:00",
                "updated_at": "2026-11-01T00:00:00+00:00"}  # fmt: skip
        target.import_records([(1, line)])
        assert not target.get_article(1).draft and ids(target.search_articles("原路")) == [1]
        with pytest.raises(BadInput, match="line 7: draft"):
            init_store(str(tmp_path / "bad.db")).import_records([(7, {**line, "draft": 2})])
        target.close()


class TestTemplates:
    @pytest.fixture
    def templates(self, store: SqlStore) -> dict[str, int]:
        made = {}
        for key, title, lang, tags in [
            ("zh", "物流进度告知", ZH, ["logistics-status", "物流"]),
            ("en", "Tracking update", EN, ["logistics-status", "tracking"]),
            ("under", "下划线", ZH, ["a_b"]),
            ("x", "通配", ZH, ["axb"]),
            ("second", "第二个标签", ZH, ["物流", "logistics-delay"]),
        ]:
            body = f"{title}：{{customer_name}}，订单{{order_id}}"
            made[key] = store.add_article(
                title=title, body=body, kind=TEMPLATE, lang=lang, tags=tags, actor="sue"
            ).id
        made["faq"] = store.add_article(title="FAQ", body="x", tags=["faq-slug"], actor="sue").id
        return made

    def test_a_template_is_named_by_its_first_tag_or_its_id(
        self, store: SqlStore, templates: dict[str, int]
    ) -> None:
        assert store.find_template("logistics-status").id == templates["zh"]  # the oldest
        assert store.find_template("Logistics-Status ", lang=EN).id == templates["en"]
        assert store.find_template("logistics-status", lang=ZH).id == templates["zh"]
        assert store.find_template(str(templates["en"])).id == templates["en"]
        assert store.find_template("a_b").id == templates["under"]  # not a LIKE pattern

    @pytest.mark.parametrize("name", ["nope", "logistics-delay", "tracking", "a%", "faq-slug"])
    def test_anything_else_is_not_found(
        self, store: SqlStore, templates: dict[str, int], name: str
    ) -> None:
        with pytest.raises(NotFound, match=f"template {re.escape(name)}: no such template"):
            store.find_template(name)

    def test_an_article_of_another_kind_is_no_template(
        self, store: SqlStore, templates: dict[str, int]
    ) -> None:
        with pytest.raises(NotFound, match="template"):
            store.find_template(str(templates["faq"]))


def test_a_knowledge_base_survives_the_drafts_migration_both_ways(store: SqlStore) -> None:
    """Down to 0004 and up again: articles keep their ids, are published and searchable."""
    article = store.add_article(title="发票抬头修改", body="订单完成前可修改。", actor="sue")
    command.downgrade(alembic_config(store.engine), "0004")  # type: ignore[arg-type]
    upgrade(store.engine)
    again = store.get_article(article.id)
    assert again == article and not again.draft
    assert ids(store.search_articles("发票抬头")) == [article.id]
    draft = store.capture_article(worked_ticket(store), actor="alice")
    assert draft.id == article.id + 1 and draft.id not in ids(store.search_articles("退款"))
