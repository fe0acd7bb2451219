"""A store on PostgreSQL outlives its server closing the pooled connections.

A restart, a failover or an idle timeout closes every pooled connection. The next request
must get fresh ones, not an error (the server process cannot be restarted for it).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from cstui.domain.model import Role
from cstui.store import View, init_store
from tests.conftest import FakeClock, _reset_pg

pytestmark = pytest.mark.postgres


def _close_every_other_connection(url: str) -> int:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        closed = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
        # pg_terminate_backend only signals: wait until the backends have gone (and with
        # them their sockets), as they would have long before the next request in life.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            if left == 0:
                break
            time.sleep(0.02)
    admin.dispose()
    return int(closed)


def test_reads_and_writes_go_on_after_the_server_closes_the_pool(
    pg_url: str, clock: FakeClock
) -> None:
    _reset_pg(pg_url)
    store = init_store(pg_url, clock=clock)
    try:
        store.add_agent("alice", Role.AGENT)
        # several pooled connections, all idle
        for _ in range(3):
            assert store.count_tickets(View.ALL_OPEN, actor=None) == 0
        assert _close_every_other_connection(pg_url) >= 1
        for _ in range(5):  # every pooled connection is checked out again
            assert store.list_tickets(View.ALL_OPEN, actor=None).items == ()
        store.add_agent("bob", Role.AGENT)
        assert {a.name for a in store.list_agents()} == {"alice", "bob"}
    finally:
        store.close()
