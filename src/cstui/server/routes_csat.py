"""`/csat/{token}`: the page a customer's survey link opens, and the answer it records.

No login: the signed, expiring token is the credential, and the store records one answer
a ticket (a second is a Conflict, shown as "already answered"). The survey mail's five
links each carry their score (`?score=N`): opening one records it, as the customer expects
of a click. What only looks at a link records nothing: a HEAD, and a request that says it
is a prefetch (`Purpose`/`Sec-Purpose`/`X-Moz`/`X-Purpose`: browsers and mail clients
prefetching or previewing) gets the page with its five choices, as does the link without a
score; each choice POSTs (the form's way, kept for pages already open). The page is small,
self-contained HTML: every value in it escaped, no script, no external resource, and a
Content-Security-Policy that allows nothing else (its one style by hash).
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from cstui.domain import survey
from cstui.errors import BadInput, Conflict, CstuiError, NotFound
from cstui.server.deps import state_of

router = APIRouter(tags=["survey"], include_in_schema=False)

Token = Annotated[str, Path(max_length=survey.MAX_TOKEN_LENGTH)]
MAX_FORM_BYTES = 1024

STYLE = (
    "body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em;line-height:1.5}"
    "form{display:inline}button{font-size:1.1em;margin:.3em;padding:.5em 1em}"
    "button.chosen{font-weight:bold;outline:3px solid #3d8bfd}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

WORDS = {
    "zh": {
        "title": "服务满意度",
        "ask": "请为工单 #{id}「{subject}」的服务打分：",
        "thanks": "感谢您的评价！",
        "recorded": "已记录您的评分：{score} {label}。",
        "answered": "该问卷已经回答过了，感谢您的反馈。",
        "gone": "该链接已过期。",
        "missing": "找不到该问卷链接。",
        "bad": "请选择 1 到 5 之间的分数。",
        "error": "暂时无法记录，请稍后再试。",
    },
    "en": {
        "title": "Customer satisfaction",
        "ask": "How satisfied are you with our help on request #{id} “{subject}”?",
        "thanks": "Thank you for your feedback!",
        "recorded": "Your answer is recorded: {score} {label}.",
        "answered": "This survey has already been answered. Thank you.",
        "gone": "This link has expired.",
        "missing": "There is no such survey link.",
        "bad": "Please choose a score from 1 to 5.",
        "error": "Your answer could not be recorded now; please try again later.",
    },
}


# Headers by which browsers and mail clients say a request only prefetches or previews.
LOOK_AHEAD_HEADERS = ("purpose", "sec-purpose", "x-moz", "x-purpose")
LOOK_AHEAD = frozenset({"prefetch", "prerender", "preview"})


@router.api_route("/csat/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def survey_page(
    request: Request, token: Token, score: Annotated[str | None, Query(max_length=8)] = None
) -> HTMLResponse:
    """With `?score=N` (the mail's links): record it, once. Without, or for a look that
    records nothing (HEAD, a prefetch): the question with five buttons (the one the
    link chose, highlighted)."""
    lang = language(request)
    if score is not None and request.method == "GET" and not looks_ahead(request):
        return await record(request, token, lambda: query_score(score), lang)
    try:
        ticket_id = read(request, token)
        store = state_of(request).store
        ticket = await run_in_threadpool(store.get_ticket, ticket_id, with_messages=False)
    except CstuiError as exc:
        return refusal(exc, lang)
    words = WORDS[lang]
    ask = words["ask"].format(id=ticket.id, subject=html.escape(ticket.subject))
    buttons = "".join(_button(s, lang, chosen=str(s) == score) for s in survey.SCORES)
    return page(lang, f"<p>{ask}</p><p>{buttons}</p>")


@router.post("/csat/{token}", response_class=HTMLResponse)
async def answer(request: Request, token: Token) -> HTMLResponse:
    """Record the score (form field `score`, 1 to 5) once; a second answer is refused."""
    body = await request.body()
    return await record(request, token, lambda: form_score(body), language(request))


async def record(
    request: Request, token: str, score_of: Callable[[], int], lang: str
) -> HTMLResponse:
    """Record the score once (the token checked first: a bad link is 404 or 410 whatever
    its score); the thanks page, or the refusal's."""
    try:
        ticket_id = read(request, token)
        score = score_of()
        store = state_of(request).store
        await run_in_threadpool(store.record_csat, ticket_id, score=score)
    except CstuiError as exc:
        return refusal(exc, lang)
    words = WORDS[lang]
    recorded = words["recorded"].format(score=score, label=survey.score_label(score, lang))
    return page(lang, f"<p>{words['thanks']}</p><p>{recorded}</p>")


def looks_ahead(request: Request) -> bool:
    """The request says it is a prefetch, prerender or preview, not the customer's click
    (`Sec-Purpose: prefetch;prerender`, `Purpose: prefetch`, `X-Moz: prefetch`)."""
    for name in LOOK_AHEAD_HEADERS:
        for value in request.headers.getlist(name):
            if LOOK_AHEAD & {w.strip().lower() for w in value.replace(",", ";").split(";")}:
                return True
    return False


def query_score(value: str) -> int:
    """`?score=N`: 1 to 5, else BadInput."""
    if value not in {str(s) for s in survey.SCORES}:
        raise BadInput("score: choose 1 to 5")
    return int(value)


def read(request: Request, token: str) -> int:
    """The token's ticket (BadToken: not ours or no survey secret; ExpiredToken)."""
    state = state_of(request)
    secret = state.options.survey_secret
    if secret is None:
        raise survey.BadToken("survey: not configured")
    return survey.read_token(token, secret=secret, now=state.store.clock())


def form_score(body: bytes) -> int:
    """`score` from an `application/x-www-form-urlencoded` body: 1 to 5, else BadInput."""
    if len(body) > MAX_FORM_BYTES:
        raise BadInput("score: the form is too large")
    try:
        fields = parse_qs(body.decode("ascii"), strict_parsing=False)
    except UnicodeDecodeError:
        raise BadInput("score: not a form") from None
    values = fields.get("score", [])
    if len(values) != 1 or values[0] not in {str(s) for s in survey.SCORES}:
        raise BadInput("score: choose 1 to 5")
    return int(values[0])


def language(request: Request) -> str:
    """The page's language: English when the browser prefers it, else Chinese."""
    wanted = request.headers.get("accept-language", "").strip().lower()
    return "en" if wanted.startswith("en") else "zh"


def refusal(exc: CstuiError, lang: str) -> HTMLResponse:
    """A plain page for a link that is bad (404), expired (410), already used (409) or a
    score that is not one (422); the store's own trouble is a 503 page."""
    words = WORDS[lang]
    if isinstance(exc, survey.ExpiredToken):
        text, status = words["gone"], 410
    elif isinstance(exc, NotFound):
        text, status = words["missing"], 404
    elif isinstance(exc, Conflict):
        text, status = words["answered"], 409
    elif isinstance(exc, BadInput):
        text, status = words["bad"], 422
    else:
        text, status = words["error"], 503
    return page(lang, f"<p>{text}</p>", status)


def _button(score: int, lang: str, *, chosen: bool) -> str:
    label = html.escape(f"{score} {survey.score_label(score, lang)}")
    cls = ' class="chosen"' if chosen else ""
    return (
        f'<form method="post"><input type="hidden" name="score" value="{score}">'
        f"<button{cls}>{label}</button></form>"
    )


def page(lang: str, content: str, status: int = 200) -> HTMLResponse:
    """The whole page around `content` (HTML the caller escaped)."""
    title = WORDS[lang]["title"]
    body = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head>"
        f"<body><h1>{title}</h1>{content}</body></html>"
    )
    return HTMLResponse(body, status, headers=HEADERS)
