"""The demo world's mail: e-mail tickets' customer mail carries a Message-ID and the address
it came from, agents' replies and the surveys went out through the outbox (sent), and a few
first mails carry a photo of the broken goods or a payment receipt; on SQLite and on
PostgreSQL (COPY) alike, and the same for the same seed."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cstui import seed
from cstui.demo import jobs, population
from cstui.mail.files import detect_type
from cstui.store import SqlStore, init_store
from tests.conftest import _reset_pg, pg_database

TICKETS = 2000  # seed 7 gives this world four tickets with files, two of them receipts
OURS = re.compile(r"^<cstui\.t(\d+)\.[0-9a-f]{16}@example\.com>$")
MAIL_TABLES = {
    "messages": "SELECT id, ticket_id, channel, external_id, address FROM messages ORDER BY id",
    "deliveries": "SELECT * FROM deliveries ORDER BY id",
    "attachments": "SELECT * FROM attachments ORDER BY id",
}


def _rows(store: SqlStore, sql: str) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql)).mappings()]


def _dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _value(column: str, value: Any) -> Any:
    """A value as both backends give it back: times as UTC datetimes, bytes as bytes."""
    if value is None:
        return None
    if column.endswith(("_at", "_until")):
        return _dt(value)
    return bytes(value) if isinstance(value, memoryview) else value


def _comparable(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(_value(k, v) for k, v in sorted(r.items())) for r in rows]


def _mail_rows(store: SqlStore) -> dict[str, list[tuple[Any, ...]]]:
    return {name: _comparable(_rows(store, sql)) for name, sql in MAIL_TABLES.items()}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlStore]:
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            target = str(tmp_path_factory.mktemp("mail") / "world.db")
        else:  # a database of its own: other tests here empty this run's
            target = stack.enter_context(pg_database(f"cstui_seed_mail_{os.getpid()}"))
        store = init_store(target)
        stack.callback(store.close)
        seed.seed_store(store, tickets=TICKETS, seed=7)
        yield store


def _email_tickets(store: SqlStore) -> dict[int, dict[str, Any]]:
    sql = (
        "SELECT t.id, t.status, t.resolved_at, c.email FROM tickets t "
        "JOIN customers c ON c.id = t.customer_id WHERE t.channel = 'email'"
    )
    return {r["id"]: r for r in _rows(store, sql)}


def test_customer_mail_carries_its_message_id_and_address(world: SqlStore) -> None:
    rows = _rows(
        world,
        "SELECT m.id, m.kind, m.channel, m.external_id, m.address, c.email FROM messages m "
        "JOIN tickets t ON t.id = m.ticket_id JOIN customers c ON c.id = t.customer_id",
    )
    mail = [r for r in rows if r["kind"] == "customer" and r["channel"] == "email"]
    assert len(mail) > TICKETS * 0.05
    for r in mail:
        assert r["address"] == r["email"] == r["email"].lower()
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", r["external_id"]), r
        assert r["external_id"].endswith("@" + r["address"].split("@")[1] + ">")
    others = [r for r in rows if not (r["kind"] == "customer" and r["channel"] == "email")]
    assert all(r["external_id"] is None and r["address"] is None for r in others)
    assert len({r["external_id"] for r in mail}) == len(mail)
    assert all(t["email"] for t in _email_tickets(world).values())  # mail customers have one


def test_replies_on_mail_tickets_went_out(world: SqlStore) -> None:
    tickets = _email_tickets(world)
    replies = _rows(world, "SELECT id, ticket_id, created_at FROM messages WHERE kind = 'reply'")
    deliveries = _rows(world, "SELECT * FROM deliveries")
    by_message = {d["message_id"]: d for d in deliveries if d["kind"] == "reply"}
    mail_replies = [r for r in replies if r["ticket_id"] in tickets]
    assert mail_replies and len(by_message) == len(mail_replies)
    for r in mail_replies:
        d = by_message[r["id"]]
        assert (d["ticket_id"], d["channel"], d["state"]) == (r["ticket_id"], "email", "sent")
        assert d["dedupe_key"] == f"reply:{r['id']}"
        assert d["recipient"] == tickets[r["ticket_id"]]["email"]
        assert _dt(d["created_at"]) == _dt(r["created_at"]) == _dt(d["next_attempt_at"])
    now = seed.DEFAULT_NOW
    for d in deliveries:
        found = OURS.match(d["external_id"])
        assert found and int(found.group(1)) == d["ticket_id"]
        assert d["attempts"] == 1 and d["lease_until"] is None and d["error"] is None
        assert _dt(d["created_at"]) < _dt(d["sent_at"]) < now
        assert d["ticket_id"] in tickets  # nothing goes out on chat, app, social or phone
    assert len({d["external_id"] for d in deliveries}) == len(deliveries)


def test_resolved_mail_tickets_were_surveyed_once(world: SqlStore) -> None:
    tickets = _email_tickets(world)
    surveys = [d for d in _rows(world, "SELECT * FROM deliveries") if d["kind"] == "survey"]
    surveyed = {d["ticket_id"] for d in surveys}
    assert len(surveyed) == len(surveys)  # once a ticket
    assert all(
        d["dedupe_key"] == f"survey:{d['ticket_id']}" and d["message_id"] is None for d in surveys
    )
    answered = {
        r["ticket_id"] for r in _rows(world, "SELECT ticket_id FROM events WHERE kind = 'csat'")
    }
    assert answered & set(tickets) and answered & set(tickets) <= surveyed
    resolved = {tid for tid, t in tickets.items() if t["resolved_at"] is not None}
    assert surveyed == resolved
    first_resolved = {
        r["ticket_id"]: _dt(r["at"])
        for r in reversed(
            _rows(world, "SELECT ticket_id, at FROM events WHERE kind = 'resolved' ORDER BY id")
        )
    }
    assert all(_dt(d["created_at"]) == first_resolved[d["ticket_id"]] for d in surveys)


def _type_of(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"):
        return "application/pdf"
    return "application/octet-stream"


def test_a_few_first_mails_bring_a_photo_or_a_receipt(world: SqlStore) -> None:
    tickets = _email_tickets(world)
    files = _rows(world, "SELECT * FROM attachments")
    with_files = {f["ticket_id"] for f in files}
    assert {"image/jpeg", "application/pdf"} <= {f["content_type"] for f in files}
    assert 0 < len(with_files) <= len(tickets) * 0.05  # a few: about 2%
    first = {
        r["ticket_id"]: r for r in reversed(_rows(world, "SELECT * FROM messages ORDER BY id"))
    }
    for f in files:
        data = bytes(f["data"])
        assert f["content_type"] == _type_of(data) == detect_type(data, "text/plain")
        assert (f["size"], f["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
        assert re.fullmatch(r"(IMG_\d{8}_\d{6}\.jpg|(付款凭证|receipt)_SO\d+\.pdf)", f["filename"])
        opening = first[f["ticket_id"]]
        assert f["ticket_id"] in tickets and f["message_id"] == opening["id"]
        assert (opening["kind"], opening["channel"]) == ("customer", "email")
        assert _dt(f["created_at"]) == _dt(opening["created_at"])
        assert "附件" in opening["body"] or "attached" in opening["body"]
    receipts = [f for f in files if f["content_type"] == "application/pdf"]
    numbers = {
        r["id"]: r["number"]
        for r in _rows(
            world, "SELECT t.id, o.number FROM tickets t JOIN orders o ON o.id = t.order_id"
        )
    }
    assert all(numbers[f["ticket_id"]].encode() in bytes(f["data"]) for f in receipts)


def test_the_same_seed_gives_the_same_mail_whatever_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "CHUNK", 300)  # several ticket chunks, taking turns
    monkeypatch.setattr(population, "CUSTOMER_BLOCK", 200)
    worlds = []
    for name, workers in (("alone", 0), ("together", 2)):
        store = init_store(str(tmp_path / f"{name}.db"))
        seed.seed_store(store, tickets=TICKETS, seed=7, workers=workers)
        worlds.append(_mail_rows(store))
        store.close()
    assert worlds[0] == worlds[1]
    assert worlds[0]["attachments"] and worlds[0]["deliveries"]


@pytest.mark.postgres
def test_postgresql_gets_the_same_mail(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """COPY writes bytes, NULLs and the ids named by index exactly as SQLite keeps them."""
    url = request.getfixturevalue("pg_url")
    _reset_pg(url)
    on_pg, on_sqlite = init_store(url), init_store(str(tmp_path / "same.db"))
    try:
        for store in (on_pg, on_sqlite):
            seed.seed_store(store, tickets=TICKETS, seed=7)
        assert _mail_rows(on_pg) == _mail_rows(on_sqlite)
        with on_pg.engine.connect() as conn:  # the sequences moved past the loaded ids
            for table in ("deliveries", "attachments"):
                nextval = conn.execute(text(f"SELECT nextval('{table}_id_seq')")).scalar()
                assert nextval == len(_rows(on_pg, f"SELECT id FROM {table}")) + 1
    finally:
        on_pg.close()
        on_sqlite.close()
