"""Triage (分类派单) of a customer's message: what it is about and how much it matters.

Pure and deterministic: the same text gives the same triage on every machine, offline. From
the text alone it finds the category (the domain's eleven), a suggested priority, whether
the ticket is a green-channel candidate (fresh food or a medical device gone wrong), the
complaint risk and the sentiment, the language, and the order or tracking numbers quoted.
Every finding carries its reason, in words an agent can check against the message.

How: weighted words per category (`words`), matched on the normalised text (Chinese
anywhere, Latin words whole). The alternatives measured on the labelled set (a naive-Bayes
model trained on the knowledge base, the category of the best retrieval hit) are described
in `bench/README.md`; the word lists won on accuracy and cost well under a millisecond.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cstui.assist.words import (
    ANGER_WORDS,
    CATEGORY_WORDS,
    FRESH_WORDS,
    MEDICAL_WORDS,
    PROBLEM_WORDS,
    REPEAT_WORDS,
    THREAT_WORDS,
    URGENT_WORDS,
    Words,
)
from cstui.domain.model import Category, Priority
from cstui.search.segment import CJK_CLASS, normalize

MAX_TEXT = 4_000  # a message's head says what it is about; quoted history below adds noise
HIGH_RISK = 4
MEDIUM_RISK = 2
# Where two categories score the same, the more specific (and more consequential) wins.
TIE_ORDER = (
    Category.COMPLAINT,
    Category.ACCOUNT,
    Category.INVOICE,
    Category.PARTS,
    Category.REFUND,
    Category.RETURN,
    Category.REPAIR,
    Category.ADDRESS,
    Category.PROMOTION,
    Category.LOGISTICS,
    Category.PRODUCT,
)
LOW_PRIORITY = frozenset({Category.PRODUCT, Category.PROMOTION, Category.INVOICE})
ORDER_RE = re.compile(r"(?<![A-Za-z0-9])SO\d{14,17}(?!\d)", re.IGNORECASE)
TRACKING_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:SF|YT|JT|JD|EMS?)\d{10,15}|\d{12,15})(?!\d)", re.IGNORECASE
)
_CJK = re.compile(f"[{CJK_CLASS}]")
_LATIN = re.compile(r"[a-z]{2,}")


@dataclass(frozen=True, slots=True)
class Triage:
    """What triage found in one message, each finding with the reason for it."""

    category: Category
    confidence: float  # 0..1: the winner's share of the two best scores
    priority: Priority
    green: bool
    risk: str  # low | medium | high
    sentiment: str  # negative | neutral | positive
    lang: str  # zh | en | mixed
    orders: tuple[str, ...] = ()
    tracking: tuple[str, ...] = ()
    runner_up: Category | None = None
    reasons: dict[str, str] = field(default_factory=dict)

    def logged(self) -> dict[str, Any]:
        """What a ticket's event records of it (`events.Created`, `events.CustomerMessage`)."""
        return {
            "triaged": self.category.value,
            "triaged_priority": self.priority.value,
            "risk": self.risk,
            "green_candidate": self.green,
            "triage_reasons": [f"{k}: {v}" for k, v in self.reasons.items() if v],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "confidence": self.confidence,
            "priority": self.priority.value,
            "green": self.green,
            "risk": self.risk,
            "sentiment": self.sentiment,
            "lang": self.lang,
            "orders": list(self.orders),
            "tracking": list(self.tracking),
            "runner_up": self.runner_up.value if self.runner_up else None,
            "reasons": dict(self.reasons),
        }


def triage(text: str) -> Triage:
    """Triage one customer message (subject and body together, as the customer wrote them)."""
    raw = text[:MAX_TEXT]
    norm = normalize(raw)
    scores = {c: _matched(norm, words) for c, words in CATEGORY_WORDS.items()}
    # (a bonus for the category asked first was tried: it cost 4 points on the dev set)
    category, runner_up, confidence = _winner(scores)
    risk_score, risk_words = _risk(norm, raw)
    green, green_reason = _green(norm, category)
    priority, priority_reason = _priority(category, green, risk_score, norm)
    sentiment = _sentiment(norm, risk_score)
    reasons = {
        "category": _category_reason(scores[category]),
        "priority": priority_reason,
        "risk": "; ".join(risk_words) or "no complaint words",
        "green": green_reason,
    }
    return Triage(
        category=category,
        confidence=round(confidence, 2),
        priority=priority,
        green=green,
        risk=_risk_level(risk_score),
        sentiment=sentiment,
        lang=language(norm),
        orders=_unique(m.upper() for m in ORDER_RE.findall(raw)),
        tracking=_unique(m.upper() for m in TRACKING_RE.findall(raw)),
        runner_up=runner_up,
        reasons=reasons,
    )


# -- matching ---------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _regex(words: Words) -> re.Pattern[str]:
    """One alternation, longest first; Latin words only whole (`part` is not in `party`)."""
    alts = []
    for word, _ in sorted(words, key=lambda w: -len(w[0])):
        body = re.escape(word)
        alts.append(body if _CJK.search(word) else rf"(?<![a-z]){body}(?![a-z])")
    return re.compile("|".join(alts))


def _matched(norm: str, words: Words) -> dict[str, int]:
    """The distinct words found, with their weights (a word counts once however often)."""
    weight = dict(words)
    return {m: weight[m] for m in dict.fromkeys(_regex(words).findall(norm))}


def _winner(scores: dict[Category, dict[str, int]]) -> tuple[Category, Category | None, float]:
    totals = {c: sum(found.values()) for c, found in scores.items()}
    ranked = sorted(TIE_ORDER, key=lambda c: -totals[c])
    best, second = ranked[0], ranked[1]
    if totals[best] == 0:
        return Category.PRODUCT, None, 0.0
    share = totals[best] / (totals[best] + totals[second])
    return best, (second if totals[second] else None), share


def _category_reason(found: dict[str, int]) -> str:
    if not found:
        return "no category word: a product question by default"
    return "words: " + ", ".join(sorted(found, key=lambda w: -found[w])[:4])


def _words_found(norm: str, words: tuple[str, ...]) -> list[str]:
    return list(_matched(norm, tuple((w, 1) for w in words)))


def _green(norm: str, category: Category) -> tuple[bool, str]:
    """Fresh food or a medical device with something wrong: the 2-hour green channel."""
    goods = _words_found(norm, FRESH_WORDS) or _words_found(norm, MEDICAL_WORDS)
    if not goods:
        return False, "no fresh food or medical device named"
    problem = _words_found(norm, PROBLEM_WORDS)
    if not problem or category in {Category.PRODUCT, Category.INVOICE, Category.PROMOTION}:
        return False, f"{goods[0]}, but no problem with it"
    return True, f"{goods[0]} + {problem[0]}"


def _risk(norm: str, raw: str) -> tuple[int, list[str]]:
    """Threats to go outside weigh most, then anger, repeats and shouting."""
    score, why = 0, []
    for label, words in (("threat", THREAT_WORDS), ("anger", ANGER_WORDS)):
        found = _matched(norm, words)
        if found:
            score += sum(found.values())
            why.append(f"{label}: {', '.join(found)}")
    repeats = _matched(norm, REPEAT_WORDS)
    if repeats and score:
        score += sum(repeats.values())
        why.append(f"again: {', '.join(repeats)}")
    if raw.count("!") + raw.count("！") >= 3 or "???" in raw or "？？？" in raw:
        score += 1
        why.append("shouting: !!! / ???")
    return score, why


def _risk_level(score: int) -> str:
    return "high" if score >= HIGH_RISK else "medium" if score >= MEDIUM_RISK else "low"


def _priority(category: Category, green: bool, risk: int, norm: str) -> tuple[Priority, str]:
    if green:
        return Priority.URGENT, "green channel: due within 2 hours"
    if risk >= HIGH_RISK:
        return Priority.URGENT, "high complaint risk"
    if category is Category.COMPLAINT or risk >= MEDIUM_RISK:
        return Priority.HIGH, "a complaint" if risk < MEDIUM_RISK else "complaint risk"
    if urgent := _words_found(norm, URGENT_WORDS):
        return Priority.HIGH, f"asks for haste: {urgent[0]}"
    if category is Category.ACCOUNT:
        return Priority.HIGH, "account or payment security"
    if category in LOW_PRIORITY:
        return Priority.LOW, "a question, nothing wrong yet"
    return Priority.NORMAL, "an ordinary after-sales matter"


_THANKS = re.compile(r"谢谢|感谢|辛苦|满意|好评|(?<![a-z])(?:thanks|thank you|great)(?![a-z])")


def _sentiment(norm: str, risk: int) -> str:
    if risk >= MEDIUM_RISK:
        return "negative"
    return "positive" if _THANKS.search(norm) else "neutral"


def language(norm: str) -> str:
    """zh, en or mixed: by the count of Chinese characters against Latin words."""
    cjk = len(_CJK.findall(norm))
    latin = len(_LATIN.findall(norm))
    if not cjk:
        return "en"
    return "mixed" if latin * 2 >= cjk else "zh"


def _unique(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
