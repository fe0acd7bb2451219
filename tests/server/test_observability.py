"""What an operator watches: request ids, `/readyz`, Prometheus `/metrics`, and the logs
(with time and level, as text or JSON, naming no customer)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cstui.domain.model import Category, Channel
from cstui.server.app import create_app
from cstui.store import init_store
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.engine import make_engine
from cstui.store.sql import SqlStore
from tests.server.conftest import Served, channel_options, serve_store
from tests.serving import ServeProcess, ThreadServer, add_team

PHONE = "13912345678"
# Nothing listens on port 1 of loopback: a store there never answers (refused at once).
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve_store(tmp_path_factory.mktemp("obs") / "obs.db", channel_options())


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in a Prometheus text page (None: absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search(f"^{pattern}$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


class TestRequestIds:
    def test_a_usable_id_is_answered_back(self, served: Served) -> None:
        answer = httpx.get(f"{served.url}/healthz", headers={"X-Request-ID": "lb-7f3a.22"})
        assert answer.headers["x-request-id"] == "lb-7f3a.22"

    @pytest.mark.parametrize("sent", [None, "two words", "x" * 200, "a\tb"])
    def test_otherwise_a_new_one_is_made(self, served: Served, sent: str | None) -> None:
        headers = {"X-Request-ID": sent} if sent is not None else {}
        answer = httpx.get(f"{served.url}/healthz", headers=headers)
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])

    def test_each_request_gets_its_own(self, served: Served) -> None:
        ids = {httpx.get(f"{served.url}/healthz").headers["x-request-id"] for _ in range(5)}
        assert len(ids) == 5


class TestReadiness:
    def test_ready_when_the_store_answers(self, served: Served) -> None:
        answer = httpx.get(f"{served.url}/readyz")
        assert answer.status_code == 200 and answer.json()["status"] == "ready"

    def test_503_when_it_does_not_and_ready_again_once_it_does(self, tmp_path: Path) -> None:
        good = init_store(str(tmp_path / "ready.db"))
        down = SqlStore(make_engine(UNREACHABLE))
        with ThreadServer(create_app(good)) as server:
            server.app.state.cstui.store = down
            answer = httpx.get(f"{server.url}/readyz")
            assert answer.status_code == 503
            assert answer.json()["kind"] == "unavailable"
            assert "postgres" not in answer.text  # no URL (it may hold a password)
            assert httpx.get(f"{server.url}/healthz").status_code == 200  # alive, not ready
            server.app.state.cstui.store = good
            assert httpx.get(f"{server.url}/readyz").status_code == 200
        down.close()
        good.close()


class TestMetrics:
    def test_request_latency_is_labelled_by_route_not_by_id(self, served: Served) -> None:
        # The histogram is the process's: other servers in this test process count too, so
        # the test looks at what its own two requests added.
        name = "cstui_http_request_duration_seconds_count"
        route = "/api/v1/tickets/{ticket_id}"
        tid = served.new_ticket()
        text = httpx.get(f"{served.url}/metrics").text
        ok, missing = (
            metric(text, name, method="GET", route=route, status=s) or 0 for s in ("200", "404")
        )
        with served.client("alice") as alice:
            assert alice.get(f"/tickets/{tid}").status_code == 200
            assert alice.get("/tickets/999999").status_code == 404
        text = httpx.get(f"{served.url}/metrics").text
        assert metric(text, name, method="GET", route=route, status="200") == ok + 1
        assert metric(text, name, method="GET", route=route, status="404") == missing + 1
        routes = set(re.findall(r'route="([^"]*)"', text))
        assert not [r for r in routes if any(part.isdigit() for part in r.split("/"))], routes

    def test_the_stores_figures_are_read_when_scraped(self, served: Served) -> None:
        before = httpx.get(f"{served.url}/metrics")
        assert before.headers["content-type"].startswith("text/plain")
        unassigned = metric(before.text, "cstui_queue_tickets", view="unassigned")
        assert unassigned is not None
        served.new_ticket()
        served.new_ticket()
        after = httpx.get(f"{served.url}/metrics").text
        assert metric(after, "cstui_queue_tickets", view="unassigned") == unassigned + 2
        assert metric(after, "cstui_store_up") == 1
        assert metric(after, "cstui_sla_breached_tickets") is not None
        assert metric(after, "cstui_channel_deliveries", state="failed") is not None
        assert "cstui_automation_firings_24h" in after

    def test_a_store_that_does_not_answer_is_a_figure_not_an_error(self, tmp_path: Path) -> None:
        good = init_store(str(tmp_path / "m.db"))
        down = SqlStore(make_engine(UNREACHABLE))
        with ThreadServer(create_app(down)) as server:
            answer = httpx.get(f"{server.url}/metrics")
        assert answer.status_code == 200
        assert metric(answer.text, "cstui_store_up") == 0
        assert "cstui_queue_tickets" not in answer.text
        down.close()
        good.close()

    def test_the_api_metrics_are_still_the_quality_figures(self, served: Served) -> None:
        with served.client("sue") as sue:
            answer = sue.get("/metrics", params={"since": "2026-01-01", "until": "2027-01-01"})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"


@pytest.fixture(scope="module")
def team_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("logs") / "logs.db"
    store = init_store(str(db))
    token = add_team(store)["ops"]
    customer = store.add_customer(NewCustomer("李四", phone=PHONE, email="li.si@example.cn"))
    store.create_ticket(NewTicket(customer.id, "退款", "body", Channel.CHAT, Category.REFUND))
    store.close()
    return db, token


def test_json_logs_carry_time_level_and_the_request_id_and_no_customer(
    team_db: tuple[Path, str],
) -> None:
    db, token = team_db
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "trace-42"}
    with ServeProcess(str(db), log_level="info", args=("--log-format", "json")) as server:
        found = httpx.get(
            f"{server.url}/api/v1/tickets/search", params={"q": PHONE}, headers=headers
        )
        assert found.status_code == 200 and found.json()["items"]
        server.wait_for_output('"request_id": "trace-42"')
    lines = [line for line in server.output if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["time"]) for e in entries)
    access = next(e for e in entries if e.get("request_id") == "trace-42")
    assert access["logger"] == "cstui.access" and access["level"] == "info"
    assert (access["method"], access["path"], access["status"]) == (
        "GET",
        "/api/v1/tickets/search",
        200,
    )
    everything = "".join(server.output)
    assert PHONE not in everything and "li.si@example.cn" not in everything


def test_text_logs_have_time_level_and_request_id(team_db: tuple[Path, str]) -> None:
    with ServeProcess(str(team_db[0]), log_level="info") as server:
        httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": "plain-1"})
        line = server.wait_for_output("[plain-1]")
    assert re.match(r"\d{4}-\d\d-\d\dT\S+Z INFO \[plain-1\] cstui\.access: ", line)
    assert '"GET /healthz" 200' in line
