"""Common questions answered on their own, as an MTA drives the intake: `cstui mail ingest`
with `[assist]` on, the reply queued once with the order's parcel state, the event logged,
triage in the ticket's JSON; review mode's note; a second message goes to a person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cstui.store import open_store
from cstui.store.base import NewCustomer, NewOrder
from tests.cli.test_cli import ok, run

ORDER = "SO20261102004512"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cstui.db"
    ok(run(path, "seed", "--tickets", "5", "--seed", "3", "--json"))
    store = open_store(str(path))
    try:
        who = store.add_customer(NewCustomer("陈静", email="chen.jing@example.cn"))
        store.add_order(
            NewOrder(
                ORDER, who.id, 199.0, tracking_no="SF1234567890123", logistics_status="in_transit"
            )
        )
    finally:
        store.close()
    return path


def configure(db: Path, mode: str = "send") -> None:
    (db.parent / "config.toml").write_text(
        f'[assist]\nenabled = true\ncategories = ["logistics"]\nmode = "{mode}"\n'
    )


def mail(n: int, body: str, subject: str = "快递到哪了") -> str:
    return (
        "From: 陈静 <chen.jing@example.cn>\n"
        f"Subject: {subject}\nMessage-ID: <ask-{n}@example.cn>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"{body}\n"
    )


def ingest(db: Path, raw: str) -> dict[str, Any]:
    (item,) = json.loads(ok(run(db, "mail", "ingest", "--json", stdin=raw)))["items"]
    return dict(item)


def show(db: Path, ticket_id: int) -> dict[str, Any]:
    return dict(json.loads(ok(run(db, "tickets", "show", str(ticket_id), "--json"))))


def auto_events(db: Path, ticket_id: int) -> list[dict[str, Any]]:
    store = open_store(str(db))
    try:
        return [e.new or {} for e in store.events(ticket_id=ticket_id) if e.kind == "auto_answered"]
    finally:
        store.close()


def test_where_is_my_parcel_is_answered_once_with_its_state(db: Path) -> None:
    configure(db)
    raw = mail(1, f"你好，我的订单{ORDER}快递到哪了？")
    item = ingest(db, raw)
    ticket_id = item["ticket_id"]
    ticket = show(db, ticket_id)
    replies = [m for m in ticket["messages"] if m["kind"] == "reply"]
    assert len(replies) == 1 and item["auto_answered"] == replies[0]["id"]
    assert ORDER in replies[0]["text"] and "SF1234567890123" in replies[0]["text"]
    assert "运输中" in replies[0]["text"] and "{" not in replies[0]["text"]
    assert replies[0]["delivery"]["state"] == "queued"
    (event,) = auto_events(db, ticket_id)
    assert event["mode"] == "send" and event["category"] == "logistics"
    triage = ticket["triage"]
    assert (triage["category"], triage["risk"]) == ("logistics", "low")
    assert any(r.startswith("category: ") for r in triage["reasons"])
    # The same mail delivered again is a duplicate: nothing is answered twice.
    assert ingest(db, raw)["action"] == "duplicate"
    assert len(auto_events(db, ticket_id)) == 1
    # The customer writes back: a person answers now.
    again = mail(2, f"订单{ORDER}快递到哪了？还没到", subject=f"Re: [#{ticket_id}] 快递到哪了")
    assert ingest(db, again)["ticket_id"] == ticket_id
    replies = [m for m in show(db, ticket_id)["messages"] if m["kind"] == "reply"]
    assert len(replies) == 1 and len(auto_events(db, ticket_id)) == 1


def test_off_by_default_and_never_for_another_matter(db: Path) -> None:
    ticket_id = ingest(db, mail(3, f"我的订单{ORDER}快递到哪了？"))["ticket_id"]
    assert not [m for m in show(db, ticket_id)["messages"] if m["kind"] == "reply"]
    configure(db)
    refund = ingest(db, mail(4, "退款什么时候到账？", subject="退款"))["ticket_id"]
    assert not auto_events(db, refund)


def test_review_mode_leaves_the_answer_as_a_note(db: Path) -> None:
    configure(db, mode="draft")
    ticket_id = ingest(db, mail(5, f"订单{ORDER}快递到哪了"))["ticket_id"]
    messages = show(db, ticket_id)["messages"]
    assert not [m for m in messages if m["kind"] == "reply"]
    (note,) = [m for m in messages if m["kind"] == "note"]
    assert ORDER in note["text"]
    assert [e["mode"] for e in auto_events(db, ticket_id)] == ["draft"]


def test_a_wrong_assist_setting_is_one_line(db: Path) -> None:
    (db.parent / "config.toml").write_text('[assist]\ncategories = ["complaint"]\n')
    result = run(db, "tickets", "show", "1")
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "assist.categories" in result.stderr


def test_a_sender_known_only_by_the_order_they_name_hears_nothing_of_it(db: Path) -> None:
    """Linked to the order's customer (one customer across channels), but the order's
    parcel state goes only to an address of the customer's own."""
    configure(db)
    raw = mail(6, f"订单{ORDER}快递到哪了？").replace("chen.jing@example.cn", "x@example.net")
    item = ingest(db, raw)
    assert "order the message names" in item["reason"]
    ticket = show(db, item["ticket_id"])
    assert ticket["customer"]["name"] == "陈静"
    (reply,) = [m for m in ticket["messages"] if m["kind"] == "reply"]
    assert "SF1234567890123" not in reply["text"] and "运输中" not in reply["text"]
