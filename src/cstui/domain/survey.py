"""The CSAT survey: signed links that expire, and the question's text.

A link names its ticket and when it expires, signed with the survey's secret:
`<ticket id>.<expiry, Unix seconds>.<HMAC-SHA256, base64url>` (only URL-safe characters, so
it sits in a path as it is). Nobody can make one for another ticket or stretch its life
without the secret. It is single-use through the store, which records one answer a ticket
(a second is a Conflict). Each link in a mail carries its score and opening it records
that score; a prefetch or a HEAD of it (a mail client looking ahead) only shows the page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from cstui.errors import NotFound

SCORES = (1, 2, 3, 4, 5)
TOKEN = re.compile(r"([1-9][0-9]{0,9})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")
MAX_TOKEN_LENGTH = 80


class BadToken(NotFound):
    """A link that is not one of ours (mistyped, forged, signed with another secret)."""


class ExpiredToken(BadToken):
    """A real link past its expiry."""

    http_status = 410


def make_token(ticket_id: int, *, secret: bytes, expires: datetime) -> str:
    """A URL-safe token for ticket `ticket_id`'s survey, good until `expires`."""
    if ticket_id < 1:
        raise ValueError("ticket_id: an id from 1")
    payload = f"{ticket_id}.{int(expires.timestamp())}"
    return f"{payload}.{_mac(secret, payload)}"


def read_token(token: str, *, secret: bytes, now: datetime) -> int:
    """The ticket id of a token we made, still valid at `now`; BadToken or ExpiredToken."""
    found = TOKEN.fullmatch(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if found is None:
        raise BadToken("survey: no such link")
    ticket, expiry, mac = found.groups()
    if not hmac.compare_digest(_mac(secret, f"{ticket}.{expiry}").encode(), mac.encode()):
        raise BadToken("survey: no such link")
    if now.timestamp() >= int(expiry):
        raise ExpiredToken("survey: this link has expired")
    return int(ticket)


def _mac(secret: bytes, payload: str) -> str:
    # A purpose prefix: the same secret signing anything else never makes a valid token.
    digest = hmac.new(secret, b"cstui-csat." + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def survey_links(base_url: str, token: str) -> list[str]:
    """The five links of a survey mail, score 1 to 5: opening one records its score."""
    base = base_url.rstrip("/")
    return [f"{base}/csat/{token}?score={score}" for score in SCORES]


Lang = Literal["zh", "en"]

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "intro": "您好，您的工单 #{ticket_id}「{subject}」已处理完毕。",
        "ask": "请为本次服务打分（1 = 非常不满意，5 = 非常满意）：",
        "reply": "或直接回复本邮件一个数字 1–5。",
        "thanks": "感谢您的反馈！",
    },
    "en": {
        "intro": "Hello, your request #{ticket_id} “{subject}” has been resolved.",
        "ask": "How satisfied are you with our service (1 = very unsatisfied, 5 = very satisfied)?",
        "reply": "Or reply with a digit 1–5.",
        "thanks": "Thank you for your feedback!",
    },
}
_LABELS: dict[str, tuple[str, ...]] = {
    "zh": ("非常不满意", "不满意", "一般", "满意", "非常满意"),
    "en": ("very unsatisfied", "unsatisfied", "neutral", "satisfied", "very satisfied"),
}


def score_label(score: int, lang: str) -> str:
    return _LABELS[_lang(lang)][score - 1]


def survey_text(ticket_id: int, subject: str, links: Sequence[str], lang: str) -> str:
    """The survey's plain text: the five links (score 1 to 5), or a reply with a digit.

    `subject` is the customer's own text, put in a plain-text body as it is (the mail or
    chat that carries it escapes nothing and renders nothing).
    """
    if len(links) != len(SCORES):
        raise ValueError("links: one for each score 1 to 5")
    text = _TEXT[_lang(lang)]
    lines = [text["intro"].format(ticket_id=ticket_id, subject=subject), "", text["ask"]]
    lines += [
        f"  {s} {score_label(s, lang)}: {link}" for s, link in zip(SCORES, links, strict=True)
    ]
    lines += ["", text["reply"], text["thanks"]]
    return "\n".join(lines) + "\n"


def _lang(lang: str) -> str:
    return "zh" if lang.lower().startswith("zh") else "en"
