"""GET /tickets/search: hits with what matched, keyset cursors, 400 for a malformed query;
POST /tickets/{id}/merge and /links."""

from __future__ import annotations

import pytest

from tests.server.conftest import Served


@pytest.mark.parametrize(
    ("q", "names"),
    [("OR", "OR needs a word"), ("退款 OR", "OR at the end"), ("statu:open", "statu")],
)
def test_a_malformed_query_is_a_400_naming_the_problem(served: Served, q: str, names: str) -> None:
    with served.client("alice") as alice:
        response = alice.get("/tickets/search", params={"q": q})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["kind"] == "bad_query" and names in body["error"] and "\n" not in body["error"]


def test_hits_say_where_the_words_were_found(served: Served) -> None:
    tid = served.new_ticket("蓝牙耳机没声音")
    with served.client("alice") as alice:
        found = alice.get("/tickets/search", params={"q": "蓝牙", "limit": 1}).json()
        by_order = alice.get("/tickets/search", params={"q": f"SO{tid:08d}"}).json()
    hit = found["items"][0]
    assert hit["id"] == tid and hit["match"]["field"] == "subject"
    start, end = hit["match"]["highlights"][0]
    assert hit["match"]["text"][start:end] == "蓝牙"
    assert [h["match"]["field"] for h in by_order["items"]][:1] == ["order"]


def test_merge_across_customers_is_a_409(served: Served) -> None:
    a, b = served.new_ticket("一"), served.new_ticket("二")  # two customers
    with served.client("alice") as alice:
        response = alice.post(f"/tickets/{a}/merge", json={"into": b})
        alice.post(f"/tickets/{a}/take").raise_for_status()
        linked = alice.post(f"/tickets/{a}/links", json={"other": b})
    assert response.status_code == 409 and "different customers" in response.json()["error"]
    assert linked.status_code == 200 and b in linked.json()["links"]
