"""The figures tab's trend charts: the series they draw, and how they look."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from textual.app import App, ComposeResult

from cstui.domain.metrics import Metrics
from cstui.monitor.trends import TrendCharts, series

START = date(2026, 11, 2)


def _figures(i: int, *, answered: bool = True) -> Metrics:
    return Metrics(
        tickets_created=40 + (i * 7) % 23,
        tickets_resolved=30 + i,
        csat=(0.80 + (i % 5) * 0.03) if answered else None,
        very_satisfied=None,
        csat_responses=10 if answered else 0,
        complaint_rate=0.02,
        second_complaint_rate=None,
        repeat_dispatch_rate=0.05 + (i % 3) * 0.01,
        first_contact_resolution=0.9,
        basic_first_contact_resolution=0.97,
        avg_first_response=timedelta(minutes=12 + i % 6),
        avg_resolution_time=None,
    )


DAYS = [(START + timedelta(days=i), _figures(i, answered=i != 4)) for i in range(14)]
WEEKS = [(date(2026, 9, 28) + timedelta(weeks=i), _figures(i * 3)) for i in range(9)]


def test_a_period_without_a_value_is_left_out_and_units_are_people_s() -> None:
    xs, ys = series(DAYS, "csat")
    assert 4 not in xs and len(xs) == 13
    assert ys[0] == 80.0  # per cent
    assert series(DAYS, "avg_first_response")[1][:2] == [12.0, 13.0]  # minutes
    assert series(DAYS, "tickets_created")[1][0] == 40.0  # tickets


class Charts(App[None]):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.figure = name

    def compose(self) -> ComposeResult:
        yield TrendCharts()

    def on_mount(self) -> None:
        self.query_one(TrendCharts).draw(self.figure, DAYS, WEEKS)


def test_csat_by_day_and_by_week(snap_compare: Callable[..., bool]) -> None:
    """Two charts side by side: "CSAT (4–5 of 5) by day (14 days)" on the left, a braille
    line through dots between 80 and 92, no dot on 11-06 (no answers that day: the line
    joins its neighbours), every third date under it (11-02 … 11-14); "… by week (9 weeks)"
    on the right, every other Monday under it (09-28 … 11-23). The unit, %, under each y axis."""
    assert snap_compare(Charts("csat"), terminal_size=(120, 24))


def test_first_response_in_minutes(snap_compare: Callable[..., bool]) -> None:
    """The same charts for the average first response, the y axis in minutes (12–17)."""
    assert snap_compare(Charts("avg_first_response"), terminal_size=(100, 20))
