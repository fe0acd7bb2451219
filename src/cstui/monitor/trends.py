"""The figures tab's trend charts: one figure by day (the last two weeks) and by week (the
chosen month and the one before), drawn with textual-plotext. `t` moves to the next figure.

The series are plain lists built here from the figures the monitor already replayed
(`Recent.trend`, `Month.weeks`): a chart costs no read of its own. A period without a value
(no survey answered that day) is left out of the line, never drawn as zero. Rates are shown
in per cent, durations in minutes, the volume as tickets. Every text drawn is the monitor's
own (labels, dates): no customer's text reaches the plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot

from cstui.domain import metrics as m
from cstui.i18n import t

CHART_FIGURES = (
    "csat",
    "tickets_created",
    "avg_first_response",
    "repeat_dispatch_rate",
    "complaint_rate",
    "first_contact_resolution",
)
DURATIONS = frozenset({"avg_first_response", "avg_resolution_time"})
COUNTS = frozenset({"tickets_created", "tickets_resolved", "csat_responses"})

Points = Sequence[tuple[date, m.Metrics]]


def unit_of(name: str) -> str:
    if name in DURATIONS:
        return t("trend.unit.minutes")
    return t("trend.unit.tickets") if name in COUNTS else "%"


def series(points: Points, name: str) -> tuple[list[int], list[float]]:
    """(positions, values) of the periods that have a value, in the chart's unit."""
    xs: list[int] = []
    ys: list[float] = []
    for i, (_start, figures) in enumerate(points):
        value = m.figure(figures, name)
        if value is None:
            continue
        if name in DURATIONS:
            value /= 60
        elif name not in COUNTS:
            value *= 100
        xs.append(i)
        ys.append(round(value, 2))
    return xs, ys


class TrendChart(PlotextPlot):
    """One figure over periods: a line with its points, the periods' dates below."""

    DEFAULT_CSS = "TrendChart { width: 1fr; height: 1fr; }"

    def draw(self, title: str, points: Points, name: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        xs, ys = series(points, name)
        labels = [start.strftime("%m-%d") for start, _ in points]
        if xs:
            plt.plot(xs, ys, marker="braille")
            plt.scatter(xs, ys, marker="dot")
        if labels:
            # At most five dates: they fit under a half-width chart at 80 columns. More, and
            # plotext drops overlapping ones, not always the same.
            step = -(-len(labels) // 5)
            ticks = [float(i) for i in range(0, len(labels), step)]
            plt.xticks(ticks, [labels[int(i)] for i in ticks])
            plt.xlim(-0.5, len(labels) - 0.5)
        plt.ylabel(unit_of(name))
        self.refresh()


class TrendCharts(Horizontal):
    """The figure by day and by week, side by side."""

    DEFAULT_CSS = "TrendCharts { height: 1fr; min-height: 6; }"

    def compose(self) -> ComposeResult:
        yield TrendChart(id="trend-days")
        yield TrendChart(id="trend-weeks")

    def draw(self, name: str, days: Points, weeks: Points) -> None:
        figure = t(f"figure.{name}")
        by_day = t("trend.by_day", figure=figure, n=len(days))
        by_week = t("trend.by_week", figure=figure, n=len(weeks))
        self.query_one("#trend-days", TrendChart).draw(by_day, days, name)
        self.query_one("#trend-weeks", TrendChart).draw(by_week, weeks, name)
