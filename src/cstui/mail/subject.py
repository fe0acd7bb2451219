"""Subjects: the ticket tag we put in them, and the form threading compares.

We append "[#1234]" (the prefix is configurable) to every subject we send; a customer's
reply keeps it, whatever their client adds in front ("Re:", "回复:", "答复:", "Fwd:",
"转发:", "RE[2]:", in full-width forms too).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from cstui.domain.subject import blank_matches

_PREFIX = re.compile(
    r"^\s*(?:re|aw|sv|fw|fwd|回复|回覆|答复|答覆|转发|轉寄|转寄|轉發"
    r"|自动回复|自動回覆|automatic reply)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=16)
def _tag_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(
        r"\[\s*" + re.escape(unicodedata.normalize("NFKC", prefix)) + r"(\d{1,12})\s*\]"
    )


def _flat(subject: str) -> str:
    # NFKC turns full-width "：" "［＃１２］" into the ASCII forms the patterns look for.
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", subject)).strip()


def ticket_tag(subject: str, prefix: str = "#") -> int | None:
    """The ticket id in our tag ("[#1234]") in `subject`, or None. The last tag wins: ours
    goes at the end, and a customer's own "[#2]" in the text comes before it."""
    found = _tag_pattern(prefix).findall(_flat(subject))
    return int(found[-1]) if found else None


def strip_prefixes(subject: str, prefix: str = "#") -> str:
    """`subject` without reply/forward prefixes (any depth) and without our tag: what a new
    ticket shows as its subject (full-width punctuation kept as written)."""
    text = _SPACE.sub(" ", blank_matches(subject, _tag_pattern(prefix))).strip()
    while True:
        shorter = blank_matches(text, _PREFIX, count=1).strip()
        if shorter == text:
            return text
        text = shorter


def normalise(subject: str, prefix: str = "#") -> str:
    """The key threading compares: prefixes and tag stripped, width and case folded.
    Not for display (see `strip_prefixes`)."""
    return _flat(strip_prefixes(subject, prefix)).casefold()


def tagged(subject: str, ticket_id: int, prefix: str = "#") -> str:
    """`subject` carrying our tag for `ticket_id` (once, at the end)."""
    if ticket_tag(subject, prefix) == ticket_id:
        return subject
    base = _tag_pattern(prefix).sub(" ", subject)
    base = _SPACE.sub(" ", base).strip()
    return f"{base} [{prefix}{ticket_id}]".strip()
