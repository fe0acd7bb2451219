"""The ticket index as `cstui seed` and migration 0008 fill it equals what the store's own
writes keep: on SQLite an entry is deleted by its very tokens, so they must agree exactly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from cstui.domain.model import MessageKind
from cstui.seed import seed_store
from cstui.store import SqlStore, init_store
from cstui.store.migrations import alembic_config, upgrade
from cstui.store.ticket_index import TicketDoc, _read_docs
from tests.conftest import _reset_pg

TICKETS = 300


@pytest.fixture(
    params=["sqlite", "sqlite-2-workers", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param.startswith("sqlite"):
        target = str(tmp_path / "seeded.db")
    else:
        target = request.getfixturevalue("pg_url")
        _reset_pg(target)
    store = init_store(target)
    workers = 2 if request.param.endswith("workers") else 1  # forked: cut before the turn
    seed_store(store, tickets=TICKETS, customers=100, seed=5, workers=workers)
    yield store
    store.close()


def _unindex_all(conn: object, docs: list[TicketDoc]) -> None:
    for d in docs:
        conn.exec_driver_sql(  # type: ignore[attr-defined]
            "INSERT INTO ticket_fts (ticket_fts, rowid, ids, head, body) "
            "VALUES ('delete', ?, ?, ?, ?)",
            (d.id, d.ids, d.head, d.body),
        )


def test_the_seeded_index_is_what_the_store_would_have_written(seeded: SqlStore) -> None:
    with seeded.engine.begin() as conn:
        docs = list(_read_docs(conn, 1, TICKETS))
        assert len(docs) == TICKETS
        if conn.dialect.name == "postgresql":
            differ = text(
                "SELECT count(*) FROM ticket_search WHERE ticket_id = :id AND "
                "(ids <> CAST(:ids AS tsvector) OR doc <> CAST(:doc AS tsvector))"
            )
            assert sum(conn.execute(differ, d.pg_values()).scalar_one() for d in docs) == 0
            return
        tokens = {t for d in docs for t in f"{d.ids} {d.head} {d.body}".split()}
        _unindex_all(conn, docs)  # deleting by the store's own cut leaves nothing behind
        left = text("SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH :q")
        assert all(conn.execute(left, {"q": f'"{t}"'}).scalar_one() == 0 for t in tokens)
        conn.rollback()


def test_a_seeded_ticket_takes_new_messages_and_stays_findable(seeded: SqlStore) -> None:
    hit = seeded.search_tickets("status:open", actor=None, limit=1).items[0].ticket
    owner = hit.owner or "agent01"
    seeded.add_message(hit.id, actor=owner, kind=MessageKind.NOTE, text="蓝莓果酱 blueberry")
    for word in ("蓝莓", "blueberry", hit.subject.split()[0]):
        found = [h.ticket.id for h in seeded.search_tickets(word, actor=None, limit=500).items]
        assert hit.id in found and len(found) == len(set(found)), word


def test_the_migration_indexes_the_tickets_already_there(seeded: SqlStore) -> None:
    before = [h.ticket.id for h in seeded.search_tickets("退款", actor=None, limit=500).items]
    command.downgrade(alembic_config(seeded.engine), "0007")  # type: ignore[arg-type]
    with seeded.engine.connect() as conn:
        tables = "ticket_fts" if conn.dialect.name == "sqlite" else "ticket_search"
        assert tables not in inspect(conn).get_table_names()
    upgrade(seeded.engine)
    after = [h.ticket.id for h in seeded.search_tickets("退款", actor=None, limit=500).items]
    assert before and after == before
