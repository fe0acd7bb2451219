"""The monitor's "automations today": what the sweeps fired since midnight in the team's
time zone, by rule, read from the store directly and through a real server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Static

from cstui.domain.automations import AutomationPolicy
from cstui.domain.report import window
from cstui.domain.rules import Rules
from cstui.i18n import t
from cstui.monitor.app import MonitorConfig, build_monitor
from cstui.monitor.data import gather_floor
from cstui.remote.http_store import HttpStore
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import SqlStore, open_store
from tests.monitor.conftest import NOW, SHANGHAI, MonitorFactory, fixed_clock
from tests.pilots import until
from tests.serving import ThreadServer

MIDNIGHT = window(NOW, "day", SHANGHAI).since  # 2026-11-20 00:00 in Shanghai


def _swept_yesterday_and_today(store: SqlStore) -> int:
    """A sweep the day before (not today's) and one now; how many fired today."""
    before = store.sweep(AutomationPolicy(), at=MIDNIGHT - timedelta(hours=1))
    assert before.fired > 0  # else "yesterday's are left out" would prove nothing
    today = store.sweep(AutomationPolicy(), at=NOW)
    assert today.fired > 0
    return today.fired


def test_counts_only_todays_firings_by_rule(store: SqlStore, world: Path) -> None:
    fired = _swept_yesterday_and_today(store)
    counts = store.automations_fired(since=MIDNIGHT)
    assert sum(counts.values()) == fired
    assert store.automations_fired(since=NOW + timedelta(seconds=1)) == {}
    floor = gather_floor(store, NOW, SHANGHAI)
    assert floor.fired == counts
    served = open_store(str(world), rules=Rules(), clock=fixed_clock)
    token = served.issue_token("sup01")
    with ThreadServer(create_app(served, ServerOptions(rate_per_second=0))) as server:
        remote = HttpStore(server.url, token)
        try:
            assert remote.automations_fired(since=MIDNIGHT) == counts
        finally:
            remote.close()
    served.close()


async def test_the_monitor_says_what_fired_today(
    make_monitor: MonitorFactory, store: SqlStore
) -> None:
    app = make_monitor()
    async with app.run_test(size=(100, 30)) as pilot:
        line = lambda: str(app.query_one("#automations", Static).render())  # noqa: E731
        await until(pilot, lambda: app.floor is not None)
        assert line() == t("monitor.automations_none")
        fired = _swept_yesterday_and_today(store)
        breaches = sum(
            n for r, n in store.automations_fired(since=MIDNIGHT).items() if r.endswith("_breach")
        )
        app.refresh_floor()
        await until(pilot, lambda: line().startswith(t("monitor.automations", n=fired)))
        if breaches:
            assert t("monitor.automations.breach", n=breaches) in line()


async def test_the_monitor_over_http_shows_the_same_line(store: SqlStore, world: Path) -> None:
    fired = _swept_yesterday_and_today(store)
    served = open_store(str(world), rules=Rules(), clock=fixed_clock)
    token = served.issue_token("sup01")
    with ThreadServer(create_app(served, ServerOptions(rate_per_second=0))) as server:
        config = MonitorConfig(actor="sup01", tz=SHANGHAI)
        app = build_monitor(lambda: HttpStore(server.url, token), config, clock=fixed_clock)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.floor is not None)
            line = str(app.query_one("#automations", Static).render())
            assert line.startswith(t("monitor.automations", n=fired))
    served.close()
