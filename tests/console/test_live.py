"""`cstui demo --live`: the arrival rate's peak, and arrivals really written to the store."""

from __future__ import annotations

from cstui.demo.live import CYCLE_SECONDS, PEAK_AT, PEAK_FACTOR, Feeder, peak_factor
from cstui.store import SqlStore
from cstui.store.base import View


def test_the_rate_climbs_to_the_peak_and_decays() -> None:
    peak = PEAK_AT * CYCLE_SECONDS
    assert peak_factor(0) == 1
    assert peak_factor(peak) == PEAK_FACTOR
    assert peak_factor(peak * 0.5) < peak_factor(peak * 0.9) < PEAK_FACTOR
    assert 1 < peak_factor(CYCLE_SECONDS * 0.6) < peak_factor(CYCLE_SECONDS * 0.4)
    assert peak_factor(CYCLE_SECONDS + peak) == PEAK_FACTOR  # it repeats


def test_arrivals_are_new_tickets_and_follow_ups(store: SqlStore) -> None:
    open_before = store.count_tickets(View.ALL_OPEN, actor=None)
    events_before = sum(1 for _ in store.events())
    feeder = Feeder(lambda: store, seed=3)
    results = [feeder.arrive(store) for _ in range(20)]
    assert feeder.written == 20 and all(r is not None for r in results)
    new_tickets = [r for r in results if hasattr(r, "subject")]
    assert new_tickets and len(new_tickets) < 20  # both kinds arrive
    assert all("{customer_name}" not in tk.subject for tk in new_tickets)
    assert store.count_tickets(View.ALL_OPEN, actor=None) == open_before + len(new_tickets)
    assert sum(1 for _ in store.events()) > events_before
