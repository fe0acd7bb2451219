"""Screenshots of the supervisor's monitor, one class per tab, at 120×40.

The world is seeded (600 tickets, seed 5) and the clock pinned (2026-11-20 10:00 in
Shanghai), so a picture changes only when the monitor's drawing does. Each docstring says
what you should see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from tests.monitor.conftest import MonitorFactory
from tests.pilots import settle

SIZE = (120, 40)
Compare = Callable[..., bool]


def tab(key: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        pilot.app.animation_level = "none"  # the tab underline slides: no half-way frames
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        await pilot.pause()

    return run_before


class TestQueuesTab:
    def test_queues(self, snap_compare: Compare, make_monitor: MonitorFactory) -> None:
        """`1`: open work per view, per channel and per tier, and the breached count; the
        green strip above the tabs names the green tickets and their time left."""
        assert snap_compare(make_monitor(), terminal_size=SIZE, run_before=tab("1"))


class TestSlaTab:
    def test_sla(self, snap_compare: Compare, make_monitor: MonitorFactory) -> None:
        """`2`: tickets nearest their deadline first, overdue ones in the breached colour."""
        assert snap_compare(make_monitor(), terminal_size=SIZE, run_before=tab("2"))


class TestGreenTab:
    def test_green(self, snap_compare: Compare, make_monitor: MonitorFactory) -> None:
        """`3`: each green ticket with its owner and its own 2-hour countdown ("in 1h…", or
        "… over" in the breached colour)."""
        assert snap_compare(make_monitor(), terminal_size=SIZE, run_before=tab("3"))


class TestEscalationsTab:
    def test_escalations(self, snap_compare: Compare, make_monitor: MonitorFactory) -> None:
        """`4`: escalations waiting on a department, oldest first, with counts per
        department."""
        assert snap_compare(make_monitor(), terminal_size=SIZE, run_before=tab("4"))


class TestAgentsTab:
    def test_agents(self, snap_compare: Compare, make_monitor: MonitorFactory) -> None:
        """`5`: agents on shift, the busiest first, with shift, presence and open tickets;
        a line sums up those off shift."""
        assert snap_compare(make_monitor(), terminal_size=SIZE, run_before=tab("5"))


class TestTransfersTab:
    def test_transfers(self, snap_compare: Compare, make_monitor: MonitorFactory) -> None:
        """`6`: transfer requests waiting for approval: ticket, from, to and the reason."""
        assert snap_compare(make_monitor(), terminal_size=SIZE, run_before=tab("6"))


class TestFiguresTab:
    def test_figures(self, snap_compare: Compare, make_monitor: MonitorFactory) -> None:
        """`7`: today's figures against their goals (CSAT, response times, complaint rate)."""
        assert snap_compare(make_monitor(), terminal_size=SIZE, run_before=tab("7"))
