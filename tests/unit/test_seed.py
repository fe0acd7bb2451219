"""The demo world generator: deterministic, consistent with the store's own writes, and the
event log agrees with the rows (so quality figures computed from it are right)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from cstui import locations, seed
from cstui.demo import jobs, population, vocabulary
from cstui.domain import events, metrics
from cstui.domain.model import (
    OPEN_ESCALATION_STATES,
    OWNERSHIP_EVENTS,
    TIER_RANK,
    Category,
    Department,
    EventKind,
    Tier,
)
from cstui.errors import Conflict
from cstui.store import SqlStore, View, init_store
from cstui.store.schema import NO_DUE

TICKETS = 900


def _seeded(path: Path, **kwargs: Any) -> SqlStore:
    store = init_store(str(path))
    seed.seed_store(store, **{"tickets": TICKETS, "seed": 7, **kwargs})
    return store


def _export(store: SqlStore) -> list[str]:
    return [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in store.export_records()]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    s = _seeded(tmp_path_factory.mktemp("seed") / "a.db")
    yield s
    s.close()


def _rows(store: SqlStore, sql: str) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(text(sql)).mappings())


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


# -- determinism --------------------------------------------------------------------------


def test_same_seed_twice_gives_a_byte_identical_export_whatever_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "CHUNK", 100)  # several ticket chunks, taking turns
    monkeypatch.setattr(jobs, "CUSTOMER_JOB", 60)
    monkeypatch.setattr(population, "CUSTOMER_BLOCK", 50)  # customers planned in parallel
    alone = _seeded(tmp_path / "alone.db", tickets=450, workers=0)
    together = _seeded(tmp_path / "together.db", tickets=450, workers=2)
    try:
        assert _export(together) == _export(alone)
    finally:
        alone.close()
        together.close()


def test_another_seed_gives_another_world(store: SqlStore, tmp_path: Path) -> None:
    other = _seeded(tmp_path / "c.db", seed=8, tickets=90, customers=TICKETS // 3)
    try:
        assert _export(other) != _export(store)
    finally:
        other.close()


def test_the_schema_is_exactly_the_migrated_one(store: SqlStore, tmp_path: Path) -> None:
    fresh = init_store(str(tmp_path / "fresh.db"))
    query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    try:
        assert [tuple(r.values()) for r in _rows(store, query)] == [
            tuple(r.values()) for r in _rows(fresh, query)
        ]
    finally:
        fresh.close()


def test_a_store_with_data_is_refused(store: SqlStore) -> None:
    with pytest.raises(Conflict):
        seed.seed_store(store, tickets=10)


# -- the rows are what the store's writes would have left --------------------------------


def test_integrity_and_foreign_keys(store: SqlStore) -> None:
    assert _rows(store, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    assert _rows(store, "PRAGMA foreign_key_check") == []


def test_the_bulk_load_settings_do_not_outlive_the_seed(store: SqlStore) -> None:
    for _ in range(6):  # more than the pool holds
        assert _rows(store, "PRAGMA foreign_keys")[0]["foreign_keys"] == 1
        assert _rows(store, "PRAGMA synchronous")[0]["synchronous"] == 1  # NORMAL


def test_counts(store: SqlStore) -> None:
    counts = {
        r["t"]: r["n"]
        for r in _rows(
            store,
            (
                "SELECT 'agents' t, count(*) n FROM agents UNION ALL "
                "SELECT 'customers', count(*) FROM customers UNION ALL "
                "SELECT 'tickets', count(*) FROM tickets"
            ),
        )
    }
    assert counts == {"agents": 34, "customers": TICKETS // 3, "tickets": TICKETS}
    roles = Counter(r["role"] for r in _rows(store, "SELECT role FROM agents"))
    assert roles == {"agent": 30, "supervisor": 3, "admin": 1}


def test_every_clock_column_agrees_with_its_deadlines(store: SqlStore) -> None:
    for t in _rows(store, "SELECT * FROM tickets"):
        dues = [_dt(t[c]) for c in ("first_response_due", "next_response_due", "resolution_due")]
        real = [d for d in dues if d is not None]
        assert _dt(t["due_key"]) == (min(real) if real else NO_DUE), t["id"]
        if t["status"] == "pending":
            assert t["sla_paused_at"] is not None and not real
        if not t["active"]:
            assert not real and t["sla_paused_at"] is None


def test_status_owner_and_activity_agree(store: SqlStore) -> None:
    for t in _rows(store, "SELECT * FROM tickets"):
        active = t["status"] in ("new", "open", "pending", "on_hold")
        assert t["active"] == int(active)
        assert (t["owner_id"] is None) == (t["status"] == "new"), t["id"]
        assert (t["resolved_at"] is None) == active
        assert (t["resolution_code"] is None) == active
        assert t["tier_rank"] == TIER_RANK[Tier(t["tier"])]
        assert t["created_at"] <= t["last_activity_at"] and t["created_at"] <= t["updated_at"]
        assert t["updated_at"] < seed.DEFAULT_NOW.isoformat()[:19]


def test_tickets_are_numbered_in_the_order_they_arrived(store: SqlStore) -> None:
    created = [r["created_at"] for r in _rows(store, "SELECT created_at FROM tickets ORDER BY id")]
    assert created == sorted(created)


def test_open_escalations_count_the_open_rows(store: SqlStore) -> None:
    open_rows: Counter[int] = Counter()
    for e in _rows(store, "SELECT ticket_id, state FROM escalations"):
        open_rows[e["ticket_id"]] += e["state"] in OPEN_ESCALATION_STATES
    for t in _rows(store, "SELECT id, open_escalations FROM tickets"):
        assert t["open_escalations"] == open_rows[t["id"]], t["id"]


def test_escalations_reach_every_department_in_every_state(store: SqlStore) -> None:
    seen = {
        (e["department"], e["state"])
        for e in _rows(store, "SELECT department, state FROM escalations")
    }
    assert {d for d, _ in seen} == {d.value for d in Department}
    assert {s for _, s in seen} == {"requested", "acknowledged", "done", "rejected"}


def test_customers_sum_up_their_orders_and_complaints(store: SqlStore) -> None:
    orders = {
        r["customer_id"]: r
        for r in _rows(
            store,
            (
                "SELECT customer_id, count(*) n, round(sum(amount), 2) spend FROM orders "
                "GROUP BY customer_id"
            ),
        )
    }
    complaints = Counter(
        r["customer_id"]
        for r in _rows(store, "SELECT customer_id FROM tickets WHERE matter_key IS NOT NULL")
    )
    tiers: Counter[str] = Counter()
    for c in _rows(store, "SELECT * FROM customers"):
        assert c["order_count"] == orders[c["id"]]["n"]
        assert c["annual_spend"] == pytest.approx(orders[c["id"]]["spend"])
        assert c["complaint_count"] == complaints[c["id"]]
        assert re.fullmatch(r"1[3-9]\d{9}", c["phone"])
        tiers[c["tier"]] += 1
    assert 0.15 <= tiers["vip"] / sum(tiers.values()) <= 0.25  # the top 20% by spend
    for t in _rows(
        store, "SELECT t.tier, c.tier ct FROM tickets t JOIN customers c ON c.id = t.customer_id"
    ):
        assert t["tier"] == t["ct"]


def test_orders_look_like_orders(store: SqlStore) -> None:
    rows = _rows(store, "SELECT number, goods_type, tracking_no FROM orders")
    assert all(re.fullmatch(r"SO20\d{6}\d{6,}", r["number"]) for r in rows)
    assert {"fresh", "medical"} <= {r["goods_type"] for r in rows}
    assert any(r["tracking_no"] for r in rows)


# -- the log tells the same story ----------------------------------------------------------


def test_payloads_are_the_stores_json(store: SqlStore) -> None:
    for e in _rows(store, "SELECT old, new FROM events"):
        for payload in (e["old"], e["new"]):
            if payload is not None:
                canonical = json.dumps(json.loads(payload), ensure_ascii=False, sort_keys=True)
                assert payload == canonical


def test_every_event_fits_its_kinds_payload_class(store: SqlStore) -> None:
    """The bulk writer logs what the store's own writes would, schema and all."""
    logged = Counter(type(events.payload(e)) for e in store.events())
    not_in_stories = {
        EventKind.PRIORITY,
        EventKind.RESOLVE_OVERRIDE,
        EventKind.CLOSED,
        EventKind.MERGED,
        EventKind.PII_REVEALED,
        EventKind.REVEAL_REFUSED,
        EventKind.ROUTING_PAUSED,
        EventKind.ARTICLE_ADDED,  # the knowledge base is loaded apart (`seed --kb`)
        EventKind.ARTICLE_EDITED,
        EventKind.ARTICLE_PUBLISHED,
        EventKind.ARTICLES_LOADED,
        EventKind.AUTOMATION,  # the automations act on a sweep, never in a seeded story
        EventKind.AUTO_ANSWERED,  # `[assist]` is off by default
        EventKind.CATEGORY,  # no seeded agent corrects triage
        EventKind.COMPLAINT_WARNING,  # logged as a ticket opens; the stories are bulk-written
    }
    assert {cls.KIND for cls in logged} == set(EventKind) - not_in_stories


def test_payload_ids_name_rows_of_the_same_ticket(store: SqlStore) -> None:
    messages, escalations, transfers = (
        {r["id"]: r["ticket_id"] for r in _rows(store, f"SELECT id, ticket_id FROM {table}")}
        for table in ("messages", "escalations", "transfers")
    )
    for e in _rows(store, "SELECT ticket_id, kind, new FROM events WHERE ticket_id IS NOT NULL"):
        new = json.loads(e["new"] or "{}")
        for key, table in (
            ("message_id", messages),
            ("escalation_id", escalations),
            ("request_id", transfers),
        ):
            if key in new:
                assert table[new[key]] == e["ticket_id"], e


def test_the_log_replays_to_the_rows(store: SqlStore) -> None:
    events: dict[int, list[Any]] = defaultdict(list)
    for e in store.events():
        if e.ticket_id is not None:
            events[e.ticket_id].append(e)
    tickets = _rows(
        store, "SELECT t.*, a.name owner FROM tickets t LEFT JOIN agents a ON a.id = t.owner_id"
    )
    escalation_rows = Counter(
        r["ticket_id"] for r in _rows(store, "SELECT ticket_id FROM escalations")
    )
    for t in tickets:
        log = events[t["id"]]
        assert log[0].kind == "created" and log[0].new["customer_id"] == t["customer_id"]
        moves = [e for e in log if e.kind in OWNERSHIP_EVENTS]
        owners = {e.new["owner"] for e in moves}
        assert t["dispatch_count"] == len(owners)
        assert t["owner"] == (moves[-1].new["owner"] if moves else None)
        assert t["version"] >= 1 and log[-1].at <= seed.DEFAULT_NOW
        resolved = [e for e in log if e.kind == "resolved"]
        if not t["active"]:
            assert _dt(t["resolved_at"]) == resolved[-1].at
        assert sum(e.kind == "escalated" for e in log) == escalation_rows[t["id"]]


def test_metrics_from_the_log_agree_with_the_rows(store: SqlStore) -> None:
    m = metrics.compute(store.events())
    tickets = _rows(store, "SELECT * FROM tickets")
    assert m.tickets_created == len(tickets)
    assert m.tickets_resolved == sum(not t["active"] for t in tickets)
    complaints = [t for t in tickets if t["matter_key"]]
    assert m.complaint_rate == pytest.approx(len(complaints) / len(tickets))
    owned = [t for t in tickets if t["dispatch_count"]]
    redispatched = [t for t in owned if t["dispatch_count"] > 1]
    assert m.repeat_dispatch_rate == pytest.approx(len(redispatched) / len(owned))
    assert m.second_complaint_rate is not None and 0 <= m.second_complaint_rate <= 1
    for rate in (
        m.csat,
        m.very_satisfied,
        m.first_contact_resolution,
        m.basic_first_contact_resolution,
    ):
        assert rate is not None and 0 < rate <= 1
    assert 0.80 <= (m.csat or 0) <= 0.97
    assert 0.01 <= (m.complaint_rate or 0) <= 0.04
    assert 0.03 <= (m.repeat_dispatch_rate or 0) <= 0.15
    assert m.avg_first_response is not None and m.avg_first_response.total_seconds() < 3600


# -- what the console shows ------------------------------------------------------------------


def test_views_are_plausible(store: SqlStore) -> None:
    count = {v: store.count_tickets(v, actor="agent01") for v in View}
    assert 0.15 * TICKETS <= count[View.UNASSIGNED] <= 0.40 * TICKETS
    assert count[View.ALL_OPEN] + count[View.CLOSED] == TICKETS
    assert 0 < count[View.VIP] < count[View.ALL_OPEN]
    assert 0 < count[View.GREEN] < count[View.ESCALATED] + count[View.UNASSIGNED]
    assert min(count[View.ESCALATED], count[View.FOLLOW_UP], count[View.MINE]) > 0
    assert 0 < count[View.SLA_RISK] < count[View.ALL_OPEN]
    page = store.list_tickets(View.UNASSIGNED, actor=None, limit=50)
    assert len(page.items) == 50 and page.next_cursor
    assert all(t.owner is None for t in page.items)
    ticket = store.get_ticket(page.items[0].id)
    assert ticket.messages and ticket.messages[0].kind == "customer"


def test_pending_transfers_wait_for_a_supervisor(store: SqlStore) -> None:
    for request in store.pending_transfers():
        assert store.get_ticket(request.ticket_id, with_messages=False).is_active


# -- what the threads say ------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_TURN_KIND = {"customer": "customer", "agent": "reply", "note": "note"}


def _pattern(template: str) -> re.Pattern[str]:
    """A filled-in template: every placeholder stands for some text."""
    return re.compile(re.sub(r"\\\{\w+\\\}", ".+?", re.escape(template)))


@pytest.fixture(scope="module")
def scenarios() -> list[dict[str, Any]]:
    return json.loads((locations.fixtures_dir() / "scenarios.json").read_text(encoding="utf-8"))


def _threads(store: SqlStore) -> dict[int, list[Any]]:
    threads: dict[int, list[Any]] = defaultdict(list)
    for m in _rows(store, "SELECT ticket_id, kind, author, body FROM messages ORDER BY id"):
        threads[m["ticket_id"]].append(m)
    return threads


def _tickets(store: SqlStore) -> list[Any]:
    return _rows(
        store,
        "SELECT t.id, t.subject, t.category, t.customer_id, o.number, o.tracking_no "
        "FROM tickets t LEFT JOIN orders o ON o.id = t.order_id ORDER BY t.id",
    )


def test_every_placeholder_is_filled(store: SqlStore) -> None:
    texts = _rows(store, "SELECT subject AS text FROM tickets UNION ALL SELECT body FROM messages")
    assert texts
    for r in texts:
        assert not _PLACEHOLDER.search(r["text"]), r["text"]


def test_a_subject_comes_from_a_scenario_of_its_category(
    store: SqlStore, scenarios: list[dict[str, Any]]
) -> None:
    subjects: dict[str, list[tuple[str, re.Pattern[str]]]] = defaultdict(list)
    for s in scenarios:
        subjects[s["category"]] += [
            (s["key"], _pattern(s["subject"][lang])) for lang in ("zh", "en")
        ]
    played: dict[str, set[str]] = defaultdict(set)
    for t in _tickets(store):
        keys = [key for key, p in subjects[t["category"]] if p.fullmatch(t["subject"])]
        assert keys, t
        played[t["category"]].add(keys[0])
    assert len(played) == len(Category)
    assert all(len(keys) >= 2 for keys in played.values()), played  # not one per category


def test_english_speaking_customers_are_answered_in_english(store: SqlStore) -> None:
    threads, english = _threads(store), 0
    for t in _tickets(store):
        texts = [t["subject"], *(m["body"] for m in threads[t["id"]])]
        if seed.customer_lang(7, t["customer_id"]) == "en":
            english += 1
            assert not any(_CJK.search(text) for text in texts), texts
        else:
            assert _CJK.search(t["subject"]) and _CJK.search(texts[1]), texts
    assert 0.05 <= english / TICKETS <= 0.16
    for c in _rows(store, "SELECT id, name FROM customers"):
        assert (seed.customer_lang(7, c["id"]) == "en") == (not _CJK.search(c["name"])), c


def test_a_thread_plays_its_scenario_in_order(
    store: SqlStore, scenarios: list[dict[str, Any]]
) -> None:
    """Each message is the scenario's next turn of its kind, or one of the seed's short
    fallbacks once the scenario has none left to say."""
    fallbacks = {
        text
        for texts in (
            vocabulary._CHASES,
            vocabulary._FOLLOWS,
            vocabulary._REPLIES,
            vocabulary._NOTES,
        )
        for pair in texts
        for text in pair
    }
    threads = _threads(store)
    for t in _tickets(store):
        lang = seed.customer_lang(7, t["customer_id"])
        plays = [
            s
            for s in scenarios
            if s["category"] == t["category"]
            and _pattern(s["subject"][lang]).fullmatch(t["subject"])
        ]
        assert any(_follows(s, lang, threads[t["id"]], fallbacks) for s in plays), t


def _follows(scenario: dict[str, Any], lang: str, thread: list[Any], fallbacks: set[str]) -> bool:
    """The thread opens with the scenario's first turn; every later message is the next
    turn of its kind or a fallback; the customer's and the agent's turns keep their order
    (an internal note may come late)."""
    pending: dict[str, list[tuple[int, re.Pattern[str]]]] = defaultdict(list)
    for i, turn in enumerate(scenario["thread"]):
        pending[_TURN_KIND[turn["from"]]].append((i, _pattern(turn[lang])))
    if not pending["customer"][0][1].fullmatch(thread[0]["body"]):
        return False
    last = -1
    for m in thread:
        queue = pending[m["kind"]]
        if queue and queue[0][1].fullmatch(m["body"]):
            i = queue.pop(0)[0]
            if m["kind"] != "note":
                if i < last:
                    return False
                last = i
        elif m["body"] not in fallbacks:
            return False
    return True


def test_threads_name_the_tickets_own_order_and_agent(store: SqlStore) -> None:
    threads = _threads(store)
    signs = {
        r["name"]: r["display_name"] for r in _rows(store, "SELECT name, display_name FROM agents")
    }
    named_orders = named_agents = 0
    for t in _tickets(store):
        for m in threads[t["id"]]:
            numbers = set(re.findall(r"SO\d{14,}", m["body"]))
            if numbers and t["number"]:
                assert numbers == {t["number"]}, (t, m)
                named_orders += 1
            if m["kind"] == "reply":
                others = {d for n, d in signs.items() if n != m["author"] and d in m["body"]}
                assert not others, (m, others)
                named_agents += signs[m["author"]] in m["body"]
    assert named_orders and named_agents


@pytest.mark.postgres
def test_postgresql_gets_the_same_world(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The bulk load there is COPY: the texts must come out exactly as SQLite keeps them."""
    url = request.getfixturevalue("pg_url")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    on_pg = init_store(url)
    seed.seed_store(on_pg, tickets=300, seed=7)
    on_sqlite = _seeded(tmp_path / "same.db", tickets=300)
    try:
        assert _export(on_pg) == _export(on_sqlite)
    finally:
        on_pg.close()
        on_sqlite.close()


# -- a floor that keeps up (the demo's) ------------------------------------------------------


def _open_ages_in_days(store: SqlStore) -> list[tuple[str, float]]:
    now = seed.DEFAULT_NOW
    rows = _rows(store, "SELECT status, created_at FROM tickets WHERE resolved_at IS NULL")
    return [(r["status"], (now - _dt(r["created_at"])).total_seconds() / 86400) for r in rows]


def test_a_live_world_keeps_its_open_work_recent(tmp_path: Path, store: SqlStore) -> None:
    """The demo's team keeps up: few unassigned, none of them weeks old, and old tickets
    done; the default world (benchmarks, tests) is the backlog after Double 11."""
    live = _seeded(tmp_path / "live.db", tickets=2000, live=True)
    try:
        ages = _open_ages_in_days(live)
        unassigned = live.count_tickets(View.UNASSIGNED, actor=None)
        assert 0 < unassigned <= 2000 * 0.02
        assert all(age < 3 for status, age in ages if status == "new")
        assert sum(1 for _, age in ages if age > 30) <= 2
        assert live.count_tickets(View.ALL_OPEN, actor=None) < 2000 * 0.1
    finally:
        live.close()
    backlog = store.count_tickets(View.UNASSIGNED, actor=None)
    assert backlog > TICKETS * 0.1
    assert any(status == "new" and age > 3 for status, age in _open_ages_in_days(store))
