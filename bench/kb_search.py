"""Knowledge-base search at scale: index build, size, ranked and unranked query latency.

Generates N bilingual e-commerce service articles deterministically (fixed seed), loads
them with `SqlStore.bulk_add_articles`, and measures what issue 3 sets as targets:

| measure | target |
| --- | --- |
| index build (insert + index 100,000 articles) | ≤ 15 s |
| database size / raw text bytes | ≤ 3.5× |
| top-20 ranked results with snippets, p95 | ≤ 50 ms |
| first unranked hits, p95 | ≤ 5 ms |

Usage: `python bench/kb_search.py [--articles 100000] [--db POSTGRES_URL] [--repeat 10]`.
Prints a markdown table, writes `bench/results/kb_search.json` (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cstui.domain.model import ArticleKind, ArticleLang, Category
from cstui.domain.model import Role as AgentRole
from cstui.store import SqlStore, init_store
from cstui.store.base import NewArticle

HERE = Path(__file__).parent
SEED = 20261111

# -- the vocabulary of e-commerce customer service ------------------------------------------

# fmt: off
PRODUCTS_ZH = [
    "手机", "笔记本电脑", "蓝牙耳机", "空气炸锅", "扫地机器人", "羽绒服", "运动鞋", "婴儿奶粉",
    "生鲜水果", "大闸蟹", "血压计", "血糖仪", "电动牙刷", "洗衣机", "冰箱", "智能手表", "面膜",
    "行李箱", "投影仪", "电饭煲", "净水器", "儿童安全座椅", "猫粮", "茶叶礼盒", "车载充电器",
    "机械键盘", "无线鼠标", "显示器", "吹风机", "床上四件套",
]
PRODUCTS_EN = [
    "iPhone 15", "iPhone 14 Pro", "Xiaomi 14", "Huawei Mate 60", "AirPods Pro", "MacBook Air",
    "Dyson V12", "Kindle", "iPad mini", "Switch OLED", "Galaxy S24", "Apple Watch", "GoPro",
    "Nike Air Max", "Lego", "SK-II", "Philips", "Midea", "Haier", "DJI Mini 4",
]
TOPICS = [
    ("退款", Category.REFUND), ("退货", Category.RETURN), ("换货", Category.RETURN),
    ("物流", Category.LOGISTICS), ("发票", Category.INVOICE), ("会员", Category.ACCOUNT),
    ("售后", Category.REPAIR), ("质检", Category.RETURN), ("维修", Category.REPAIR),
    ("配件", Category.PARTS), ("优惠券", Category.PROMOTION), ("修改地址", Category.ADDRESS),
    ("账户安全", Category.ACCOUNT), ("支付失败", Category.ACCOUNT),
    ("发货延迟", Category.LOGISTICS), ("快递丢件", Category.LOGISTICS),
    ("签收异常", Category.LOGISTICS), ("价格保护", Category.PROMOTION),
    ("积分兑换", Category.PROMOTION), ("七天无理由退货", Category.RETURN),
    ("运费险", Category.RETURN), ("投诉", Category.COMPLAINT), ("发票抬头", Category.INVOICE),
    ("预售定金", Category.PROMOTION), ("以旧换新", Category.PRODUCT),
]
PROMOS = [
    "双十一", "618", "年货节", "春节", "会员日", "黑色星期五", "开学季", "周年庆",
]
CITIES = [
    "上海", "北京", "杭州", "广州", "深圳", "成都", "武汉", "西安", "南京", "重庆",
]
COURIERS = [
    "顺丰", "京东物流", "中通", "圆通", "韵达", "EMS", "申通", "极兔",
]
TITLES_ZH = [
    "{product}{topic}怎么办？",
    "如何申请{topic}",
    "{promo}期间{topic}规则说明",
    "{topic}需要多长时间",
    "{product}的{topic}政策",
    "{topic}常见问题",
    "{promo}{product}{topic}指南",
    "关于{topic}的温馨提示",
    "{en_product} {topic}流程",
]
SENTENCES_ZH = [
    "您好，{product}支持七天无理由退货，请在签收后{n}天内提交申请。",
    "退款将在仓库质检通过后{n}个工作日内原路退回到您的支付账户。",
    "{promo}期间订单量较大，{courier}配送可能延迟{n}天，请您耐心等待。",
    "如需开具增值税专用发票，请在订单详情页填写发票抬头和税号。",
    "VIP会员可享受专属客服通道，问题将在{n}小时内优先处理。",
    "退货商品需保持包装完好、配件齐全，并附上购物凭证。",
    "若{product}出现质量问题，我们承担往返运费，并安排{n}天内换新。",
    "{city}仓库收到退件后会在30分钟内登记，质检结果会短信通知您。",
    "优惠券不可与其他活动叠加使用，满{amount}元可减{m}元。",
    "为保障账户安全，请勿向任何人透露验证码，客服不会索要您的密码。",
    "修改收货地址仅限订单未发货前，已发货订单请联系{courier}改派。",
    "维修服务由官方授权售后网点提供，保修期内免费更换配件。",
    "生鲜商品签收后请在{n}小时内检查，如有腐坏请拍照反馈，我们走绿色通道优先处理。",
    "医疗器械类商品拆封后不支持无理由退货，但质量问题可申请售后。",
    "价格保护期为{n}天，期间降价可申请退还差价。",
    "积分将在订单完成后{n}天内到账，可用于兑换优惠券或抵扣现金。",
    "如您对处理结果不满意，可申请升级至客服主管，我们会在24小时内回复。",
    "预售商品需先支付定金，尾款支付时间为{promo}当天。",
    "运费险理赔金额将在退货签收后{n}天内自动打到您的账户。",
    "以旧换新活动中，旧机评估价格以质检结果为准。",
    "快递显示已签收但您未收到时，请先联系{courier}快递员或查看驿站。",
    "发票会在订单完成后{n}个工作日内发送到您的邮箱。",
    "会员等级根据近一年消费金额计算，年消费满{amount}元可升级为VIP会员。",
    "{en_product}的官方保修为{n}年，请保留好发票作为保修凭证。",
    "支付失败时请检查银行卡余额和限额，或更换支付方式后重试。",
    "跨境商品退货需寄回{city}保税仓，退款在海关放行后处理。",
    "我们已为您登记工单，首问客服会全程跟进直到问题解决。",
    "大件商品如{product}提供上门取件服务，无需自行打包。",
]
SENTENCES_EN = [
    "Refunds are returned to the original payment method within {n} business days after QC.",
    "Please keep the original packaging and all accessories when you return {en_product}.",
    "During the {promo_en} sale, deliveries by {courier_en} may be delayed by up to {n} days.",
    "To request a VAT invoice, enter the invoice title and tax ID on the order page.",
    "VIP members get a dedicated service lane and a reply within {n} hours.",
    "Coupons cannot be combined with other promotions; spend {amount} yuan to save {m}.",
    "Never share your verification code: our agents will never ask for your password.",
    "The shipping address can be changed only before the parcel leaves the warehouse.",
    "Repairs are handled by authorised service centres; spare parts are free under warranty.",
    "Fresh food must be checked within {n} hours of delivery; send us a photo of any damage.",
    "Price protection lasts {n} days: if the price drops, we refund the difference.",
    "If the tracking shows delivered but you have nothing, contact the courier first.",
    "Your return is logged within 30 minutes of arrival at our {city_en} warehouse.",
    "An escalation to the supervisor is answered within 24 hours.",
    "Trade-in values for old devices are confirmed after the quality inspection.",
    "The {en_product} comes with a {n}-year warranty; keep the invoice as proof of purchase.",
    "Payment failed? Check your card limit, or try another payment method.",
    "Return shipping insurance pays out {n} days after the return is signed for.",
]
TITLES_EN = [
    "How do I get a refund for {en_product}?",
    "Return policy during {promo_en}",
    "Shipping delay with {courier_en}",
    "Invoice requests and tax IDs",
    "VIP membership benefits",
    "Repair and spare parts for {en_product}",
    "Coupon rules for {promo_en}",
    "Keeping your account secure",
]
PROMOS_EN = [
    "Double 11", "618", "Spring Festival", "Black Friday", "member day",
]
CITIES_EN = [
    "Shanghai", "Hangzhou", "Shenzhen", "Chengdu", "Wuhan",
]
COURIERS_EN = [
    "SF Express", "JD Logistics", "ZTO", "YTO", "EMS",
]
TEMPLATE_HEADS = [
    "亲爱的{customer_name}，", "您好{customer_name}，", "Dear {customer_name}, ",
]
TEMPLATE_SLOTS = [
    "订单{order_id}", "运单号{tracking_no}", "退款金额{refund_amount}元",
]
# fmt: on


def _fill(rng: random.Random, pattern: str, topic: str) -> str:
    return pattern.format(
        product=rng.choice(PRODUCTS_ZH),
        en_product=rng.choice(PRODUCTS_EN),
        topic=topic,
        promo=rng.choice(PROMOS),
        promo_en=rng.choice(PROMOS_EN),
        city=rng.choice(CITIES),
        city_en=rng.choice(CITIES_EN),
        courier=rng.choice(COURIERS),
        courier_en=rng.choice(COURIERS_EN),
        n=rng.randint(1, 15),
        m=rng.choice([5, 10, 20, 30, 50, 100]),
        amount=rng.choice([99, 199, 299, 500, 1000, 5000, 50000]),
    )


def generate(n: int, seed: int = SEED) -> Iterator[NewArticle]:
    """`n` articles: Chinese (most with English product names), English, and mixed."""
    rng = random.Random(seed)
    for i in range(n):
        topic, category = rng.choice(TOPICS)
        roll = rng.random()
        lang = ArticleLang.EN if roll < 0.25 else ArticleLang.ZH
        kind = rng.choices(list(ArticleKind), weights=[70, 20, 10])[0]
        if lang is ArticleLang.EN:
            title = _fill(rng, rng.choice(TITLES_EN), topic)
            body = " ".join(
                _fill(rng, s, topic) for s in rng.sample(SENTENCES_EN, rng.randint(3, 8))
            )
        else:
            title = _fill(rng, rng.choice(TITLES_ZH), topic)
            sentences = rng.sample(SENTENCES_ZH, rng.randint(4, 10))
            if roll > 0.85:  # a mixed article: a Chinese answer with an English summary
                sentences.append(_fill(rng, rng.choice(SENTENCES_EN), topic))
            body = "".join(_fill(rng, s, topic) for s in sentences)
        if kind is ArticleKind.TEMPLATE:
            body = rng.choice(TEMPLATE_HEADS) + rng.choice(TEMPLATE_SLOTS) + "：" + body
        tags = tuple(dict.fromkeys([topic, rng.choice(PROMOS), category.value]))
        yield NewArticle(
            title=f"{title} #{i}" if i % 1000 == 0 else title,
            body=body,
            kind=kind,
            lang=lang,
            tags=tags,
            category=category,
            author="kb-bot",
        )


def raw_bytes(articles: list[NewArticle]) -> int:
    """The article text as UTF-8: title, body and tags."""
    return sum(
        len(a.title.encode()) + len(a.body.encode()) + sum(len(t.encode()) for t in a.tags)
        for a in articles
    )


# -- measuring ------------------------------------------------------------------------------

# The query classes; "typing" (a partial word, one character) is reported apart.
# fmt: off
QUERIES: dict[str, list[str]] = {
    "2-char Chinese": ["退款", "物流", "发票", "退货", "会员", "售后", "质检"],
    "longer Chinese": ["七天无理由退货", "发票抬头", "双十一", "运费险", "价格保护", "绿色通道",
                       "增值税专用发票"],
    "English": ["refund", "invoice", "warranty", "shipping delay", "price protection",
                "verification code"],
    "mixed": ["退款 refund", "iPhone 15 维修", "双十一 优惠券", "618", "VIP 会员", "AirPods 配件",
              "SF Express 物流", "顺丰 延迟"],
    "typing": ["refu", "warr", "退", "款", "发票 抬"],
}
# fmt: on
TARGET_CLASSES = ("2-char Chinese", "longer Chinese", "English", "mixed")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def db_bytes(store: SqlStore, target: str) -> int:
    """The database's size on disk (SQLite: after a checkpoint; PostgreSQL: pg_database_size)."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return os.path.getsize(target)
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def run(n: int, target: str, repeat: int, workers: int | None) -> dict[str, Any]:
    articles = list(generate(n))
    raw = raw_bytes(articles)
    store = init_store(target)
    store.add_agent("kb-bot", AgentRole.SUPERVISOR)
    t0, cpu0, workers0 = time.perf_counter(), time.process_time(), _children_cpu()
    store.bulk_add_articles(articles, workers=workers)
    build_s = time.perf_counter() - t0
    build_cpu = {
        "main_s": round(time.process_time() - cpu0, 2),
        "workers_s": round(_children_cpu() - workers0, 2),
    }
    size = db_bytes(store, target)
    per_query: dict[str, dict[str, Any]] = {}
    for cls, queries in QUERIES.items():
        for q in queries:
            store.search_articles(q, limit=20)  # warm the cache, as an agent's second search is
            ranked = timed(lambda q=q: store.search_articles(q, limit=20), repeat)
            unranked = timed(lambda q=q: store.search_articles_unranked(q, limit=20), repeat)
            per_query[q] = {
                "class": cls,
                "matches": store.count_matches(q),
                "ranked_ms": ranked,
                "unranked_ms": unranked,
            }
    store.close()
    return {
        "articles": n,
        "backend": "postgresql" if target.startswith("postgresql") else "sqlite",
        "sqlite_version": sqlite3.sqlite_version,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": os.getloadavg()[0],
        "raw_text_bytes": raw,
        "db_bytes": size,
        "size_ratio": round(size / raw, 2),
        "build_s": round(build_s, 2),
        "build_cpu": build_cpu,
        **_summary(per_query, TARGET_CLASSES, ""),
        **_summary(per_query, ("typing",), "typing_"),
        "per_query": {
            q: {
                "class": v["class"],
                "matches": v["matches"],
                "ranked_p95_ms": round(percentile(v["ranked_ms"], 95), 2),
                "unranked_p95_ms": round(percentile(v["unranked_ms"], 95), 2),
            }
            for q, v in per_query.items()
        },
    }


def _children_cpu() -> float:
    """CPU seconds of finished child processes (the bulk load's workers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _summary(per_query: dict[str, dict[str, Any]], classes: tuple[str, ...], prefix: str) -> dict:
    picked = [v for v in per_query.values() if v["class"] in classes]
    ranked = [x for v in picked for x in v["ranked_ms"]]
    unranked = [x for v in picked for x in v["unranked_ms"]]
    return {
        f"{prefix}ranked_p50_ms": round(statistics.median(ranked), 2),
        f"{prefix}ranked_p95_ms": round(percentile(ranked, 95), 2),
        f"{prefix}unranked_p50_ms": round(statistics.median(unranked), 2),
        f"{prefix}unranked_p95_ms": round(percentile(unranked, 95), 2),
    }


def table(r: dict[str, Any]) -> str:
    """The results as markdown: the targets, then every query."""
    mb = f"{r['db_bytes'] / 1e6:.1f} MB / {r['raw_text_bytes'] / 1e6:.1f} MB"
    rows = [
        (
            "index build",
            f"{r['build_s']} s (CPU: {r['build_cpu']['main_s']} s writing, "
            f"{r['build_cpu']['workers_s']} s cutting in worker processes)",
            "≤ 15 s",
            r["build_s"] <= 15,
        ),
        ("database / raw text", f"{r['size_ratio']}× ({mb})", "≤ 3.5×", r["size_ratio"] <= 3.5),
        (
            "top-20 ranked + snippets",
            f"p50 {r['ranked_p50_ms']} ms, p95 {r['ranked_p95_ms']} ms",
            "p95 ≤ 50 ms",
            r["ranked_p95_ms"] <= 50,
        ),
        (
            "first unranked hits",
            f"p50 {r['unranked_p50_ms']} ms, p95 {r['unranked_p95_ms']} ms",
            "p95 ≤ 5 ms",
            r["unranked_p95_ms"] <= 5,
        ),
    ]
    head = (
        f"{r['articles']:,} articles on {r['backend']} ({r['machine']}, load average "
        f"{r['load_average']:.1f}, Python {r['python']}, SQLite {r['sqlite_version']})\n\n"
    )
    lines = ["| measure | result | target | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {'yes' if ok else 'no'} |" for a, b, c, ok in rows]
    lines += [
        f"| typing (partial word, one character) | ranked p95 {r['typing_ranked_p95_ms']} ms, "
        f"unranked p95 {r['typing_unranked_p95_ms']} ms | (not a target) | |",
        "",
        "| class | query | matches | ranked p95 ms | unranked p95 ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {v['class']} | {q} | {v['matches']} | {v['ranked_p95_ms']} | {v['unranked_p95_ms']} |"
        for q, v in r["per_query"].items()
    ]
    return head + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (default: a temp SQLite)")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per query")
    parser.add_argument("--workers", type=int, default=None, help="bulk-load processes")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "kb_search.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        target = args.db or str(Path(tmp) / "kb.db")
        result = run(args.articles, target, args.repeat, args.workers)
    print(table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    previous[result["backend"]] = result
    args.out.write_text(json.dumps(previous, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
