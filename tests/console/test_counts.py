"""The views' counts: what the clock alone moves (the risk view, presence) is read every few
seconds; the other views are counted again when a write is reported, not on that beat."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cstui.console import app as console_app
from cstui.console.app import build_app
from cstui.domain.rules import Rules
from cstui.store import open_store
from cstui.store.base import View
from cstui.store.sql import SqlStore
from tests.console.conftest import NOW, console_config
from tests.pilots import until


class MovingClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def counting(store: SqlStore, counted: Counter[View]) -> SqlStore:
    """The real store, noting each view it is asked to count."""
    count_tickets = store.count_tickets

    def count(view: View, **kwargs: object) -> int:
        counted[view] += 1
        return count_tickets(view, **kwargs)  # type: ignore[arg-type]

    store.count_tickets = count  # type: ignore[method-assign]
    return store


async def test_the_risk_count_follows_the_clock_and_the_other_views_wait_for_a_write(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_app, "COUNTS_EVERY", 0.2)
    clock = MovingClock(NOW)
    counted: Counter[View] = Counter()
    reference = open_store(str(world), rules=Rules(), clock=clock)
    app = build_app(
        lambda: counting(open_store(str(world), rules=Rules(), clock=clock), counted),
        console_config(world, tmp_path),
        clock=clock,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.pane.counts))
        before = reference.count_tickets(View.SLA_RISK, actor="agent01")
        assert app.pane.counts[View.SLA_RISK] == before
        unassigned = counted[View.UNASSIGNED]

        clock.now = NOW + timedelta(hours=6)  # deadlines come into the risk window
        after = reference.count_tickets(View.SLA_RISK, actor="agent01")
        assert after > before  # (the world has deadlines in those hours)
        await until(pilot, lambda: app.pane.counts[View.SLA_RISK] == after)
        risk_reads = counted[View.SLA_RISK]
        await until(pilot, lambda: counted[View.SLA_RISK] >= risk_reads + 3)  # beats later
        assert counted[View.UNASSIGNED] == unassigned  # no write: not counted again

        reference.take(ticket_id=_unassigned_ticket(reference), actor="agent02")
        await until(pilot, lambda: counted[View.UNASSIGNED] > unassigned)  # the feed's report
        expected = reference.count_tickets(View.UNASSIGNED, actor="agent01")
        await until(pilot, lambda: app.pane.counts[View.UNASSIGNED] == expected)
    reference.close()


def _unassigned_ticket(store: SqlStore) -> int:
    return store.list_tickets(View.UNASSIGNED, actor="agent01", limit=1).items[0].id
