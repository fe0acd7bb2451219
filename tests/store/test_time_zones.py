"""Times read back equal across PostgreSQL session time zones.

A team's PostgreSQL often runs in its own zone (Asia/Shanghai here). Escalations travel on
a ticket's row as JSON, where PostgreSQL writes times in the session's zone: they must come
back as the same instants, in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cstui.domain.model import Category, Channel, Department, Role, Shift
from cstui.store import SqlStore, View, init_store
from cstui.store.base import NewCustomer, NewTicket
from tests.conftest import FakeClock, _autocommit, _reset_pg

pytestmark = pytest.mark.postgres


@pytest.fixture
def shanghai_store(pg_url: str, clock: FakeClock) -> Iterator[SqlStore]:
    database = pg_url.rsplit("/", 1)[1]
    _reset_pg(pg_url)
    _autocommit(pg_url, f"ALTER DATABASE \"{database}\" SET timezone TO 'Asia/Shanghai'")
    try:
        store = init_store(pg_url, clock=clock)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW timezone").scalar() == "Asia/Shanghai"
        yield store
        store.close()
    finally:
        _autocommit(pg_url, f'ALTER DATABASE "{database}" RESET timezone')


def test_escalation_times_survive_a_non_utc_session(
    shanghai_store: SqlStore, clock: FakeClock
) -> None:
    store = shanghai_store
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    customer = store.add_customer(NewCustomer("李四", phone="13900001111"))
    ticket = store.create_ticket(
        NewTicket(customer.id, "丢件", "body", Channel.PHONE, Category.LOGISTICS)
    )
    store.take(ticket.id, actor="alice")
    made = store.escalate(ticket.id, actor="alice", department=Department.LOGISTICS, reason="lost")
    assert made.created_at == clock.now
    listed = store.list_tickets(View.ALL_OPEN, actor=None).items[0]
    (escalation,) = listed.escalations
    assert escalation.created_at == clock.now
    assert escalation.due_at == made.due_at
    assert escalation.created_at.utcoffset() is not None
    assert escalation.created_at.utcoffset().total_seconds() == 0
