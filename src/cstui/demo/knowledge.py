"""The demo knowledge base: the hand-written articles in `fixtures/kb/`, and, for a bigger
base (`cstui seed --kb N`), deterministic FAQ-like articles composed from them.

From the fixtures, in this order (ids follow it):

* every FAQ (`kb/faq.json`) as a `faq` article in Chinese, followed by its English version
  as a separate `en` article when the fixture has one;
* every quick-response template (`kb/templates.json`) as a `template` article in Chinese
  and one in English. The title stays the human one (物流进度告知); the template's slug
  `name` (`logistics-status`) is the article's **first tag**, so a later
  `tickets reply --template NAME` finds it by tag and picks the language it wants;
* every warm service case (`kb/cases.json`) as a `case` article in Chinese and in English.

Categories and tags come from the fixture. Asked for fewer articles than the fixtures hold,
the load stops after the first `total`; asked for more, it adds generated FAQ articles up to
exactly `total`: each takes a fixture FAQ's category and tags, a product from
`products.json`, and sentences from the same category's answers, in Chinese (about 70%) or
English. Everything comes from a `Random` seeded with `seed`, and every article's
`created_at` from the injected `now` (default: the seed world's DEFAULT_NOW), so the same
seed gives the same articles and the same export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from random import Random
from typing import TYPE_CHECKING, Any

from cstui import locations
from cstui.domain.model import ArticleKind, ArticleLang, Category
from cstui.store.base import NewArticle

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore

_ZH_SENTENCE = re.compile(r"[^。！？]+[。！？]?")
_EN_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_LANGS = (("zh", ArticleLang.ZH), ("en", ArticleLang.EN))


def _load(rel: str) -> Any:
    return json.loads((locations.fixtures_dir() / rel).read_text(encoding="utf-8"))


def _category(value: str | None) -> Category | None:
    return Category(value) if value else None


@lru_cache(maxsize=1)
def fixture_articles() -> tuple[NewArticle, ...]:
    """The articles written by hand, without dates (see the module's docstring)."""
    out: list[NewArticle] = []
    for item in _load("kb/faq.json"):
        for key, lang in _LANGS:
            text = item.get(key)
            if text:
                out.append(
                    NewArticle(
                        title=text["title"],
                        body=text["body"],
                        kind=ArticleKind.FAQ,
                        lang=lang,
                        tags=tuple(item.get("tags", ())),
                        category=_category(item.get("category")),
                    )
                )
    for rel, kind in (
        ("kb/templates.json", ArticleKind.TEMPLATE),
        ("kb/cases.json", ArticleKind.CASE),
    ):
        for item in _load(rel):
            slug = (item["name"],) if kind is ArticleKind.TEMPLATE else ()
            for key, lang in _LANGS:
                text = item.get(key)
                if text:
                    out.append(
                        NewArticle(
                            title=text["title"],
                            body=text["body"],
                            kind=kind,
                            lang=lang,
                            tags=(*slug, *item.get("tags", ())),
                            category=_category(item.get("category")),
                        )
                    )
    return tuple(out)


class _Composer:
    """What generated articles are made of, prepared once: per category and language,
    the fixture FAQs' titles and sentences; the products' names."""

    def __init__(self) -> None:
        faq = _load("kb/faq.json")
        products = _load("products.json")
        self.products = [(p["name"]["zh"], p["name"]["en"]) for p in products]
        self.bases: list[tuple[Category | None, tuple[str, ...], dict[str, str]]] = []
        self.sentences: dict[tuple[Category | None, str], list[str]] = {}
        for item in faq:
            cat = _category(item.get("category"))
            titles = {key: item[key]["title"] for key, _ in _LANGS if item.get(key)}
            self.bases.append((cat, tuple(item.get("tags", ())), titles))
            for key, _ in _LANGS:
                if item.get(key):
                    pattern = _ZH_SENTENCE if key == "zh" else _EN_SENTENCE
                    pool = self.sentences.setdefault((cat, key), [])
                    pool += [s.strip() for s in pattern.findall(item[key]["body"]) if s.strip()]

    def article(self, rng: Random) -> NewArticle:
        cat, tags, titles = self.bases[rng.randrange(len(self.bases))]
        key = "en" if "en" in titles and rng.random() < 0.3 else "zh"
        lang = ArticleLang.EN if key == "en" else ArticleLang.ZH
        zh_name, en_name = self.products[rng.randrange(len(self.products))]
        pool = self.sentences[(cat, key)]
        picked = rng.sample(pool, min(len(pool), rng.randint(3, 6)))
        if key == "zh":
            title = f"{zh_name}：{titles['zh']}"
            body = f"关于{zh_name}：" + "".join(picked)
            extra: tuple[str, ...] = (zh_name.split()[0],)
        else:
            title = f"{en_name}: {titles['en']}"
            body = f"About {en_name}: " + " ".join(picked)
            extra = ()
        return NewArticle(
            title=title[:200],
            body=body,
            kind=ArticleKind.FAQ,
            lang=lang,
            tags=(*tags, *extra)[:20],
            category=cat,
        )


def knowledge_rows(
    total: int | None, *, seed: int, now: datetime | None = None
) -> Iterator[NewArticle]:
    """The demo articles: the fixtures (`total` None), or exactly `total` of them."""
    if now is None:
        from cstui.demo.vocabulary import DEFAULT_NOW

        now = DEFAULT_NOW
    base = fixture_articles()
    n = len(base) if total is None else total
    if n < 0:
        raise ValueError("total must be ≥ 0")
    # Oldest first, a minute apart, the last one an hour before `now`.
    start = now - timedelta(hours=1, minutes=n)
    for i, article in enumerate(base[:n]):
        yield _dated(article, start + timedelta(minutes=i))
    if n > len(base):
        composer = _Composer()
        rng = Random(seed * 7_919 + 104_729)
        for i in range(len(base), n):
            yield _dated(composer.article(rng), start + timedelta(minutes=i))


def _dated(a: NewArticle, at: datetime) -> NewArticle:
    return NewArticle(a.title, a.body, a.kind, a.lang, a.tags, a.category, a.author, at)


def load_knowledge(
    store: SqlStore,
    total: int | None,
    *,
    seed: int,
    now: datetime | None = None,
    workers: int | None = None,
) -> int:
    """Bulk-load `knowledge_rows` into the store; returns how many articles were added.

    The store's clock is held at `now` meanwhile, so the load's event is dated like the
    rest of the seeded world (and two loads export the same).
    """
    if now is None:
        from cstui.demo.vocabulary import DEFAULT_NOW

        now = DEFAULT_NOW
    if total == 0:
        return 0
    at = now
    clock = store.clock
    store.clock = lambda: at
    try:
        return store.bulk_add_articles(knowledge_rows(total, seed=seed, now=now), workers=workers)
    finally:
        store.clock = clock
