"""Suggested answers: the likeliest articles and templates for a customer's message.

The ranking is pure: `AnswerIndex` is built from the published FAQs and templates (their
titles and tags, cut by `cstui.search.segment` as the search index cuts them) and scores a
message's tokens BM25-style, with a prior for the triaged category and the message's
language. The bodies are left out: on the labelled set (`bench/suggest.py`) adding the
head of each body (40 to 240 characters) moved top-3 by under a point and cost top-1 up
to 4 points, and it made the index five times bigger. The store keeps one built index
and rebuilds it when the knowledge base changes.

Cost is bounded whatever the size of the knowledge base: each token keeps only its
CHAMPIONS best articles (an impact-ordered posting list, ties to the older article, which is
the hand-written one), and tokens in more than a fifth of the articles are skipped (they
say nothing about which article fits). A message of 60 tokens then adds at most a few
thousand scores, a millisecond or two in Python.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

from cstui.assist.triage import Triage
from cstui.assist.words import SYNONYMS
from cstui.domain.model import ArticleKind, ArticleLang, Category
from cstui.search.segment import index_tokens, normalize

MAX_SUGGESTIONS = 10  # asked of the store at once
CHAMPIONS = 300  # best articles kept per token
COMMON = 0.2  # tokens in more articles than this share are skipped
FIELD_WEIGHT = (3.0, 2.0)  # title, tags
K1 = 1.2
CATEGORY_BONUS = 1.6  # the triaged category's articles score this much more
RUNNER_UP_BONUS = 1.2
LANG_BONUS = 1.25  # the message's language
CANDIDATES = 60  # the best by words alone, among which the priors decide


@dataclass(frozen=True, slots=True)
class Answerable:
    """A published FAQ or template as the suggestion index reads it."""

    id: int
    kind: ArticleKind
    lang: str
    category: Category | None
    title: str
    tags: tuple[str, ...]
    body: str

    def group(self) -> tuple[object, ...]:
        """The same answer in another language has the same kind, category and tags."""
        return (self.kind, self.category, self.tags) if self.tags else (self.id,)


@dataclass(frozen=True, slots=True)
class Suggested:
    """One suggested article: its id, title, kind, score, and its text (a template filled
    from the ticket when there is one; `missing` names the placeholders left to complete)."""

    id: int
    title: str
    kind: ArticleKind
    score: float
    body: str = ""
    missing: tuple[str, ...] = ()
    lang: ArticleLang = ArticleLang.ZH

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind.value,
            "lang": self.lang.value,
            "score": self.score,
            "body": self.body,
            "missing": list(self.missing),
        }


@dataclass(frozen=True, slots=True)
class Suggestions:
    """A message's triage and its best answers, best first."""

    triage: Triage
    items: tuple[Suggested, ...]
    ticket_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        t = self.triage
        return {
            "ticket_id": self.ticket_id,
            "category": t.category.value,
            "priority": t.priority.value,
            "risk": t.risk,
            "triage": t.to_json(),
            "items": [i.to_json() for i in self.items],
        }


class AnswerIndex:
    """An in-memory ranked index of the answerable articles (see the module docstring)."""

    def __init__(self, articles: Iterable[Answerable]) -> None:
        # Articles the index cannot tell apart (the same question in the same words, kept
        # for many products) would score alike and the oldest would win: keep that one.
        distinct: dict[tuple[object, ...], Answerable] = {}
        for a in articles:
            distinct.setdefault((a.kind, a.lang, a.category, a.title, a.tags), a)
        self.articles: list[Answerable] = list(distinct.values())
        # Per token, its best articles and their weights, as two arrays: a few objects per
        # token rather than one per entry, so the garbage collector has little to walk.
        self.postings: dict[str, tuple[array[int], array[float]]] = {}
        self._by_category: dict[Category | None, list[int]] = defaultdict(list)
        for i, a in enumerate(self.articles):
            self._by_category[a.category].append(i)
        self._build()

    def __len__(self) -> int:
        return len(self.articles)

    def _build(self) -> None:
        """Postings as (-weight, article) pairs, so that a plain sort puts the best first."""
        weights: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for i, a in enumerate(self.articles):
            for token, w in _weighted_tokens(a).items():
                weights[token].append((-w, i))
        n = max(1, len(self.articles))
        for token, docs in weights.items():
            if len(docs) > max(20, COMMON * n):
                continue
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            best = heapq.nsmallest(CHAMPIONS, docs) if len(docs) > CHAMPIONS else sorted(docs)
            self.postings[token] = (
                array("l", [i for _, i in best]),
                array("d", [-idf * w for w, _ in best]),
            )

    def rank(
        self,
        text: str,
        triage: Triage | None,
        limit: int = 3,
        kind: ArticleKind | None = None,
    ) -> list[tuple[Answerable, float]]:
        """The best `limit` articles (of `kind`, if given) for the message, best first, with
        their scores. Without a triage, the text alone decides (no category or language
        prior)."""
        scores: dict[int, float] = defaultdict(float)
        for token in _query_tokens(text):
            if (posting := self.postings.get(token)) is not None:
                for i, w in zip(*posting, strict=True):
                    scores[i] += w
        if kind is not None:
            scores = defaultdict(
                float, {i: s for i, s in scores.items() if self.articles[i].kind is kind}
            )
        lang = "" if triage is None else "en" if triage.lang == "en" else "zh"
        # Priors multiply a score by at most MAX_PRIOR: only the best by words can win.
        top = heapq.nlargest(CANDIDATES, scores.items(), key=itemgetter(1))
        ranked = sorted(
            ((s * self._prior(self.articles[i], triage, lang), i) for i, s in top),
            key=lambda p: (-p[0], p[1]),
        )
        out: list[tuple[Answerable, float]] = []
        shown: set[tuple[object, ...]] = set()
        for s, i in chain(ranked, self._fallback(triage, kind)):
            a = self.articles[i]
            if (group := a.group()) not in shown:  # one language of each answer
                shown.add(group)
                out.append((a, s))
                if len(out) == limit:
                    break
        return out

    def _fallback(
        self, triage: Triage | None, kind: ArticleKind | None
    ) -> Iterator[tuple[float, int]]:
        """Where words found too few: the triaged category's first articles, then (when one
        kind is asked for: `m`'s templates) every other of that kind, oldest first."""
        if triage is None:
            return
        for i in self._by_category.get(triage.category, []):
            if kind is None or self.articles[i].kind is kind:
                yield 0.0, i
        if kind is not None:
            for i, a in enumerate(self.articles):
                if a.kind is kind and a.category is not triage.category:
                    yield 0.0, i

    @staticmethod
    def _prior(a: Answerable, triage: Triage | None, lang: str) -> float:
        if triage is None:
            return 1.0
        prior = LANG_BONUS if a.lang == lang else 1.0
        if a.category is triage.category:
            prior *= CATEGORY_BONUS
        elif a.category is not None and a.category is triage.runner_up:
            prior *= RUNNER_UP_BONUS
        return prior


def _weighted_tokens(a: Answerable) -> dict[str, float]:
    """Each token's saturated, field-weighted frequency in the article (BM25's tf part)."""
    tf: dict[str, float] = defaultdict(float)
    fields = (a.title, " ".join(a.tags))
    for text, weight in zip(fields, FIELD_WEIGHT, strict=True):
        for token in index_tokens(text):
            if _useful(token):
                tf[token] += weight
    return {t: f * (K1 + 1) / (f + K1) for t, f in tf.items()}


def _query_tokens(text: str) -> set[str]:
    """The message's tokens, with the knowledge base's words for what customers say."""
    head = normalize(text[:2000])
    tokens = {t for t in index_tokens(head) if _useful(t)}
    for phrase, words in SYNONYMS.items():
        if phrase in head:
            tokens.update(index_tokens(words))
    return tokens


def _useful(token: str) -> bool:
    """A lone Chinese character (the end of a run) or a one-letter word says too little,
    and a bigram across the particle 的 (`我的订单` → `的订`) is no word: it matched
    `用花呗付款的订单怎么退款？` to `我的订单…快递到哪了`. Measured on the set's dev part
    (`bench/suggest.py`), dropping it moved top-1 from 87.7% to 88.5%, the rest unchanged;
    dropping the bigrams across 了 or 吗 too cost top-1 (`错了`, `少了` are words)."""
    return len(token) > 1 and PARTICLE not in token


PARTICLE = "的"
