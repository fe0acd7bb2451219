"""Reading a message's subject the way threading needs it: the ticket tag we put there
("[#1234]"), and the subject without the reply and forward prefixes mail clients add
(Re:, 回复:, 答复:, Fwd:, 转发: …), and a survey answered with one digit.

Pure text rules, shared by the mail parser (`cstui.mail`) and the store's threading.
A subject is the sender's text: everything here bounds what it reads.
"""

from __future__ import annotations

import re
import unicodedata

from cstui.domain.inputs import INT_MAX  # a ticket id is at most this: a bigger number is no tag

MAX_SUBJECT = 998  # RFC 5322's line limit: longer is cut before any pattern runs

# Reply/forward prefixes, in English, simplified and traditional Chinese and the common
# European clients (Outlook localises them), with an optional counter ("Re[2]:", "RE (2):")
# and a half- or full-width colon.
_PREFIX = re.compile(
    r"^\s*(?:re|fw|fwd|aw|wg|sv|vs|antw|回复|回覆|答复|答覆|转发|轉發|转寄|轉寄"
    r"|自动回复|自動回覆|automatic reply)"
    r"\s*(?:[\[(]\s*\d{1,3}\s*[\])])?\s*[:：]\s*",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


def _tag_pattern(prefix: str) -> re.Pattern[str]:
    # [#1234] or 【#1234】 (a Chinese input method turns the brackets full-width)
    return re.compile(r"[\[【]\s*" + re.escape(prefix) + r"\s*(\d{1,10})\s*[\]】]")


_TAGS: dict[str, re.Pattern[str]] = {}


def tag_pattern(prefix: str) -> re.Pattern[str]:
    """Our tag ("[#1234]", "【#1234】") for `prefix`, compiled once."""
    found = _TAGS.get(prefix)
    if found is None:
        found = _TAGS[prefix] = _tag_pattern(prefix)
    return found


def ticket_tag(subject: str, prefix: str = "#") -> int | None:
    """The ticket number tagged in the subject ("[#1234]"), or None. The last tag wins: ours
    goes at the end, and a customer's own "[#2]" may come before it."""
    found = tag_pattern(prefix).findall(unicodedata.normalize("NFKC", subject[:MAX_SUBJECT]))
    number = int(found[-1]) if found else None
    return number if number is not None and 0 < number <= INT_MAX else None


def blank_matches(text: str, pattern: re.Pattern[str], *, count: int = 0) -> str:
    """`text` with the characters of `pattern`'s matches (the first `count`; 0: all) made
    spaces. The pattern reads the width-folded (NFKC) form, so "［＃１２］" and "回复：" match,
    while every other character keeps the form its writer gave it: a subject shown is the
    customer's "，" and "！", not the ASCII a fold makes of them."""
    pieces = [unicodedata.normalize("NFKC", ch) for ch in text]
    spans = [m.span() for m in pattern.finditer("".join(pieces))][: count or None]
    if not spans:
        return text
    out, end = [], 0
    for ch, piece in zip(text, pieces, strict=True):
        start, end = end, end + len(piece)
        # whole characters only: "¸" folds to " ̧", and a match taking its space keeps it
        hit = any(a <= start and end <= b for a, b in spans)
        out.append(" " if hit else ch)
    return "".join(out)


def strip_subject(subject: str, prefix: str = "#") -> str:
    """The subject as a person wrote it: without reply/forward prefixes and our tag, spaces
    collapsed (what a new ticket is called)."""
    text = _SPACE.sub(" ", blank_matches(subject[:MAX_SUBJECT], tag_pattern(prefix))).strip()
    while True:
        shorter = blank_matches(text, _PREFIX, count=1).strip()
        if shorter == text:
            break
        text = _SPACE.sub(" ", blank_matches(shorter, tag_pattern(prefix))).strip()
    return text


def normalise_subject(subject: str, prefix: str = "#") -> str:
    """The key two subjects of one conversation share: stripped, width- and case-folded."""
    folded = unicodedata.normalize("NFKC", strip_subject(subject, prefix))
    return _SPACE.sub(" ", folded).strip().casefold()


_ANSWER = re.compile(r"^\s*([1-5])\s*(?:分|星|stars?|points?)?\s*[.!。！]?\s*$", re.IGNORECASE)


def survey_answer(text: str) -> int | None:
    """A survey reply that is a score: its first non-empty line is one digit 1–5 (full-width
    digits too, "5分" and "5." as well); anything else is a message, not a score."""
    for line in text[:2000].splitlines():
        if line.strip():
            found = _ANSWER.match(unicodedata.normalize("NFKC", line))
            return int(found.group(1)) if found else None
    return None
