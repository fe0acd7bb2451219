"""`/csat/{token}` on a real server: the survey page, one answer a ticket, and the figures."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cstui.__main__ import main
from cstui.domain.model import EventKind, ResolutionCode
from cstui.domain.survey import make_token
from cstui.server.deps import ServerOptions
from tests.server.conftest import SURVEY_SECRET, Served, channel_options, serve_store

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def survey_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("csat") / "csat.db"


@pytest.fixture(scope="module")
def server(survey_db: Path) -> Iterator[Served]:
    yield from serve_store(survey_db, channel_options())


def resolved_ticket(served: Served, subject: str = "退款没到账") -> int:
    tid = served.new_ticket(subject)
    served.store.take(tid, actor="alice")
    served.store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
    return tid


def link(tid: int, *, days: float = 14, secret: bytes = SURVEY_SECRET) -> str:
    expires = datetime.now(UTC) + timedelta(days=days)
    return f"/csat/{make_token(tid, secret=secret, expires=expires)}"


def csat_events(served: Served, tid: int) -> list[int]:
    return [
        e.new["score"]
        for e in served.store.events(ticket_id=tid)
        if e.kind is EventKind.CSAT and e.new
    ]


def test_the_page_asks_with_five_buttons_escapes_the_subject_and_loads_nothing_else(
    server: Served,
) -> None:
    tid = resolved_ticket(server, subject='<script>alert("x")</script><img src=http://evil/>')
    page = httpx.get(server.url + link(tid), params={"score": "4"}, headers=PREFETCH[0])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    assert "script-src" not in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert not re.search(r"<[^>]*\s(src|href)=", html)  # no external (or any) resource
    assert html.count('<form method="post">') == 5
    assert html.count('class="chosen"') == 1  # the mail's link chose 4
    assert csat_events(server, tid) == []  # a prefetch of the link records nothing
    plain = httpx.get(server.url + link(tid))  # no score: the question
    assert plain.status_code == 200 and plain.text.count('<form method="post">') == 5
    assert 'class="chosen"' not in plain.text
    assert csat_events(server, tid) == []


def test_the_mails_link_records_its_score_once(server: Served) -> None:
    tid = resolved_ticket(server)
    url = server.url + link(tid)
    first = httpx.get(url, params={"score": "4"})
    assert first.status_code == 200 and "已记录" in first.text and "4" in first.text
    assert first.headers["cache-control"] == "no-store"
    again = httpx.get(url, params={"score": "1"}, headers={"Accept-Language": "en"})
    assert again.status_code == 409 and "already been answered" in again.text
    posted = httpx.post(url, content=b"score=2", headers=FORM)
    assert posted.status_code == 409
    assert csat_events(server, tid) == [4]


# What browsers and mail clients send when they only look ahead at a link.
PREFETCH = [
    {"Purpose": "prefetch"},
    {"Sec-Purpose": "prefetch"},
    {"Sec-Purpose": "prefetch;prerender"},
    {"X-Moz": "prefetch"},
    {"X-Purpose": "preview"},
]


@pytest.mark.parametrize("headers", PREFETCH, ids=lambda h: ":".join(*h.items()))
def test_a_prefetch_or_a_head_records_nothing(server: Served, headers: dict[str, str]) -> None:
    tid = resolved_ticket(server)
    url = server.url + link(tid)
    looked = httpx.get(url, params={"score": "5"}, headers=headers)
    assert looked.status_code == 200 and looked.text.count('<form method="post">') == 5
    head = httpx.head(url, params={"score": "5"})
    assert head.status_code == 200 and head.content == b""
    assert csat_events(server, tid) == []
    clicked = httpx.get(url, params={"score": "3"})  # the customer's own click still counts
    assert clicked.status_code == 200
    assert csat_events(server, tid) == [3]


def test_an_answer_is_recorded_once_and_a_second_use_says_already_answered(
    server: Served,
) -> None:
    tid = resolved_ticket(server)
    url = server.url + link(tid)
    first = httpx.post(url, content=b"score=5", headers=FORM)
    assert first.status_code == 200 and "已记录" in first.text
    again = httpx.post(url, content=b"score=1", headers=FORM)
    assert again.status_code == 409 and "已经回答过" in again.text
    english = httpx.post(url, content=b"score=2", headers={**FORM, "Accept-Language": "en"})
    assert "already been answered" in english.text
    assert csat_events(server, tid) == [5]


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"score=6", 422), (b"score=0", 422), (b"", 422), (b"score=4&score=5", 422), (b"\xff", 422)],
)
def test_a_score_that_is_not_1_to_5_records_nothing(
    server: Served, body: bytes, status: int
) -> None:
    tid = resolved_ticket(server)
    answered = httpx.post(server.url + link(tid), content=body, headers=FORM)
    assert answered.status_code == status
    assert answered.headers["content-type"].startswith("text/html")
    assert csat_events(server, tid) == []


@pytest.mark.parametrize("score", ["6", "0", "", "4.0", " 4", "五", "12345678"])
def test_a_link_with_a_score_that_is_not_1_to_5_records_nothing(server: Served, score: str) -> None:
    tid = resolved_ticket(server)
    answered = httpx.get(server.url + link(tid), params={"score": score})
    assert answered.status_code == 422
    assert answered.headers["content-type"].startswith("text/html")
    assert csat_events(server, tid) == []


def test_an_expired_forged_or_unknown_link_gets_a_plain_page(server: Served) -> None:
    tid = resolved_ticket(server)
    expired = httpx.get(server.url + link(tid, days=-1))
    assert expired.status_code == 410 and "过期" in expired.text
    expired = httpx.get(server.url + link(tid, days=-1), params={"score": "5"})
    assert expired.status_code == 410
    forged = httpx.post(server.url + link(tid, secret=b"guess"), content=b"score=5", headers=FORM)
    assert forged.status_code == 404
    forged = httpx.get(server.url + link(tid, secret=b"guess"), params={"score": "5"})
    assert forged.status_code == 404
    for bad in ("/csat/nonsense", "/csat/" + "1" * 200, link(2_000_000_000)):
        assert httpx.get(server.url + bad).status_code in (404, 422), bad
    assert csat_events(server, tid) == []


def test_without_a_survey_secret_there_are_no_surveys(tmp_path: Path) -> None:
    for served in serve_store(tmp_path / "s.db", ServerOptions(rate_per_second=0)):
        tid = resolved_ticket(served)
        assert httpx.get(served.url + link(tid)).status_code == 404


def test_the_answer_moves_csat_in_cstui_metrics(
    server: Served, survey_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def figures() -> dict[str, object]:
        assert main(["--db", str(survey_db), "metrics", "--json"]) == 0
        team: dict[str, object] = json.loads(capsys.readouterr().out)["team"]
        return team

    before = figures()
    answers = int(str(before["csat_responses"]))
    satisfied = round(float(str(before["csat"] or 0)) * answers)
    for score in (b"score=5", b"score=5", b"score=2"):
        answered = httpx.post(
            server.url + link(resolved_ticket(server)), content=score, headers=FORM
        )
        assert answered.status_code == 200
    clicked = httpx.get(server.url + link(resolved_ticket(server)), params={"score": "4"})
    assert clicked.status_code == 200
    after = figures()
    assert after["csat_responses"] == answers + 4
    assert after["csat"] == pytest.approx((satisfied + 3) / (answers + 4), abs=1e-4)  # 4 places
