"""The quality report rendered for people (Markdown, HTML) and for spreadsheets (CSV, JSON).

Pure functions from a `domain.report.Report` to text; the CLI only chooses one and prints.
Human formats show shares as percentages and durations as hours and minutes; CSV and JSON
keep the raw numbers (a share as a fraction, a duration in seconds) so a sheet can add them.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import date
from typing import Any

from cstui.domain.report import DURATION_FIGURES, Goal, Line, Report, Window
from cstui.i18n import language, t

FORMATS = ("md", "html", "csv")


def duration(seconds: float) -> str:
    """`754` → "12m 34s"; `11100` → "3h 05m": minutes matter under an hour, hours above."""
    whole = round(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"
    return f"-{text}" if seconds < 0 else text


def value_text(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    return duration(value) if name in DURATION_FIGURES else f"{value * 100:.1f}%"


def change_text(name: str, delta: float | None) -> str:
    if delta is None:
        return "—"
    sign = "+" if delta > 0 else ("-" if delta < 0 else "±")
    if name in DURATION_FIGURES:
        return f"{sign}{duration(abs(delta))}"
    return f"{sign}{abs(delta) * 100:.1f} pt"


def goal_text(name: str, goal: Goal | None) -> str:
    if goal is None:
        return "—"
    if goal.kind == "gain":
        return t("report.goal.gain", value=f"{goal.value * 100:.1f}")
    bound = "≥" if goal.kind == "at_least" else "≤"
    return f"{bound} {value_text(name, goal.value)}"


def verdict_text(on_target: bool | None) -> str:
    return {True: "✓", False: "✗", None: "—"}[on_target]


def figure_label(name: str) -> str:
    return t(f"figure.{name}")


def period_text(w: Window) -> str:
    end = date.fromordinal(w.end.toordinal() - 1)
    if w.start == end:
        return w.start.isoformat()
    return f"{w.start.isoformat()} – {end.isoformat()}"


def _cells(line: Line) -> list[str]:
    return [
        figure_label(line.name),
        value_text(line.name, line.value),
        goal_text(line.name, line.goal),
        verdict_text(line.on_target),
        value_text(line.name, line.previous),
        change_text(line.name, line.change),
    ]


def _headers() -> list[str]:
    return [t(f"report.col.{c}") for c in ("figure", "value", "target", "met", "prev", "change")]


def _title(report: Report) -> str:
    return t(
        f"report.title.{report.current.period}",
        period=period_text(report.current),
        previous=period_text(report.previous),
    )


def _volume(report: Report) -> str:
    f = report.figures
    return t(
        "report.volume",
        created=f.tickets_created,
        resolved=f.tickets_resolved,
        answers=f.csat_responses,
    )


def markdown(report: Report) -> str:
    rows = [_headers(), ["---"] * 6, *(_cells(line) for line in report.lines)]
    table = "\n".join("| " + " | ".join(r) + " |" for r in rows)
    return f"# {_title(report)}\n\n{_volume(report)}\n\n{table}\n"


def html_page(report: Report) -> str:
    """A standalone page; every cell is escaped (names come from the config and the log)."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in _headers())
    body = "".join(
        f'<tr class="{_row_class(line)}">'
        + "".join(f"<td>{esc(c)}</td>" for c in _cells(line))
        + "</tr>"
        for line in report.lines
    )
    title = esc(_title(report))
    return (
        f'<!DOCTYPE html>\n<html lang="{language()}"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>\n<h1>{title}</h1>\n"
        f"<p>{esc(_volume(report))}</p>\n"
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>\n"
        "</body></html>\n"
    )


def _row_class(line: Line) -> str:
    return {True: "met", False: "missed", None: "unjudged"}[line.on_target]


CSV_COLUMNS = ("figure", "value", "target_kind", "target", "on_target", "previous", "change")


def csv_text(report: Report) -> str:
    """Raw numbers: shares as fractions, durations in seconds, empty when unknown."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.lines:
        writer.writerow([_raw(v) for v in _raw_row(line)])
    return out.getvalue()


def _raw_row(line: Line) -> list[Any]:
    goal = line.goal
    return [
        line.name,
        line.value,
        goal.kind if goal else None,
        goal.value if goal else None,
        line.on_target,
        line.previous,
        line.change,
    ]


def _raw(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _window_dict(w: Window) -> dict[str, str]:
    return {
        "start": w.start.isoformat(),
        "end": w.end.isoformat(),
        "since": w.since.isoformat(),
        "until": w.until.isoformat(),
    }


def as_json(report: Report) -> dict[str, Any]:
    """JSON-ready: the periods, the volumes and each figure as raw numbers."""
    f = report.figures
    return {
        "period": report.current.period,
        "current": _window_dict(report.current),
        "previous": _window_dict(report.previous),
        "tickets_created": f.tickets_created,
        "tickets_resolved": f.tickets_resolved,
        "csat_responses": f.csat_responses,
        "figures": {line.name: _line_dict(line) for line in report.lines},
    }


def _line_dict(line: Line) -> dict[str, Any]:
    goal = line.goal
    return {
        "value": _rounded(line.value),
        "previous": _rounded(line.previous),
        "change": _rounded(line.change),
        "target": None if goal is None else {"kind": goal.kind, "value": goal.value},
        "on_target": line.on_target,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def render(report: Report, fmt: str) -> str:
    if fmt == "html":
        return html_page(report)
    if fmt == "csv":
        return csv_text(report)
    return markdown(report)
