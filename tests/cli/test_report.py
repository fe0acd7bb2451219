"""`cstui report`: every figure equals an independent replay of the event log.

The replay below is written from DOMAIN.md and the metrics docstring without the metrics
module: one ticket at a time, straight from its list of events. The report's numbers must
equal it for the period and the period before, for a day, a week and a month.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cstui.__main__ import main
from cstui.domain.model import OWNERSHIP_EVENTS, Event, EventKind
from cstui.domain.rules import Rules
from cstui.seed import seed_store
from cstui.store import init_store, open_store

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
BASIC = {"logistics", "address"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "world.db"
    store = init_store(str(path), rules=Rules(), clock=lambda: NOW)
    seed_store(store, tickets=1500, customers=500, seed=11, now=NOW, workers=1)
    store.close()
    return path


@pytest.fixture
def cstui(world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CSTUI_DB", str(world))
    monkeypatch.setenv("CSTUI_NOW", NOW.isoformat())
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(tmp_path / "config.toml"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def all_events(world: Path) -> list[Event]:
    store = open_store(str(world), rules=Rules())
    try:
        return list(store.events())
    finally:
        store.close()


# --- the independent replay ----------------------------------------------------------


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    def at(d: date) -> datetime:
        return datetime.combine(d, time(0), tzinfo=SHANGHAI)

    return at(start), at(end)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def mean_seconds(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def owner_before(events: list[Event], index: int) -> str | None:
    """Who owned the ticket just before events[index] (the latest ownership event)."""
    owner = None
    for e in events[:index]:
        if e.kind in OWNERSHIP_EVENTS:
            owner = (e.new or {}).get("owner")
    return owner


def replay(log: Iterable[Event], since: datetime, until: datetime) -> dict[str, float | None]:
    per_ticket: dict[int, list[Event]] = defaultdict(list)
    for e in sorted(log, key=lambda e: (e.at, e.id)):
        if e.ticket_id is not None:
            per_ticket[e.ticket_id].append(e)

    def inside(at: datetime) -> bool:
        return since <= at < until

    scores: list[int] = []
    created = complaints = seconds = owned = moved = 0
    first_waits: list[float] = []
    resolved = first_contact = basic = basic_first = 0
    durations: list[float] = []
    for events in per_ticket.values():
        for e in events:
            score = (e.new or {}).get("score")
            if e.kind is EventKind.CSAT and inside(e.at) and score in (1, 2, 3, 4, 5):
                scores.append(score)
        kinds = [e.kind for e in events]
        if EventKind.CREATED not in kinds or EventKind.MERGED in kinds:
            continue
        birth = events[kinds.index(EventKind.CREATED)]
        owners = {(e.new or {}).get("owner") for e in events if e.kind in OWNERSHIP_EVENTS} - {None}
        complaint_marks = [e for e in events if e.kind is EventKind.COMPLAINT]
        is_complaint = (
            bool((birth.new or {}).get("complaint"))
            or (birth.new or {}).get("category") == "complaint"
            or bool(complaint_marks)
        )
        if inside(birth.at):
            created += 1
            complaints += is_complaint
            seconds += is_complaint and any((e.new or {}).get("second") for e in complaint_marks)
            owned += len(owners) > 0
            moved += len(owners) > 1
            replies = [e.at for e in events if e.kind is EventKind.REPLY]
            if replies:
                first_waits.append(max(0.0, (replies[0] - birth.at).total_seconds()))
        resolutions = [i for i, k in enumerate(kinds) if k is EventKind.RESOLVED]
        reopenings = [i for i, k in enumerate(kinds) if k is EventKind.REOPENED]
        if not resolutions or (reopenings and reopenings[-1] > resolutions[-1]):
            continue
        final = events[resolutions[-1]]
        if not inside(final.at):
            continue
        resolver = (final.new or {}).get("owner") or owner_before(events, resolutions[-1])
        sole = resolver is not None and owners <= {resolver}
        first = sole and EventKind.ESCALATED not in kinds and not reopenings
        is_basic = (birth.new or {}).get("category") in BASIC
        resolved += 1
        first_contact += first
        basic += is_basic
        basic_first += is_basic and first
        durations.append(max(0.0, (final.at - birth.at).total_seconds()))
    return {
        "csat": share(sum(s >= 4 for s in scores), len(scores)),
        "very_satisfied": share(sum(s == 5 for s in scores), len(scores)),
        "complaint_rate": share(complaints, created),
        "second_complaint_rate": share(seconds, complaints),
        "repeat_dispatch_rate": share(moved, owned),
        "first_contact_resolution": share(first_contact, resolved),
        "basic_first_contact_resolution": share(basic_first, basic),
        "avg_first_response": mean_seconds(first_waits),
        "avg_resolution_time": mean_seconds(durations),
    }


def assert_same(reported: dict[str, dict], expected: dict[str, float | None], key: str) -> None:
    for name, value in expected.items():
        got = reported[name][key]
        if value is None:
            assert got is None, name
        else:
            assert got == pytest.approx(value, abs=1e-5), name


# --- the tests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "at", "current", "previous"),
    [
        ("day", "2026-11-18", (date(2026, 11, 18), date(2026, 11, 19)), (date(2026, 11, 17),)),
        ("week", "2026-11-12", (date(2026, 11, 9), date(2026, 11, 16)), (date(2026, 11, 2),)),
        ("month", "2026-11-20", (date(2026, 11, 1), date(2026, 12, 1)), (date(2026, 10, 1),)),
    ],
)
def test_each_figure_equals_an_independent_replay(
    cstui, world: Path, period: str, at: str, current: tuple[date, date], previous: tuple[date]
) -> None:
    code, out, err = cstui("report", "--period", period, "--at", at, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["current"]["start"] == current[0].isoformat()
    assert data["current"]["end"] == current[1].isoformat()
    assert data["previous"]["start"] == previous[0].isoformat()
    log = all_events(world)
    now = replay(log, *local_bounds(*current))
    before = replay(log, *local_bounds(previous[0], current[0]))
    assert now["csat"] is not None and now["repeat_dispatch_rate"] is not None
    assert_same(data["figures"], now, "value")
    assert_same(data["figures"], before, "previous")
    for name, value in now.items():
        if value is not None and before[name] is not None:
            assert data["figures"][name]["change"] == pytest.approx(value - before[name], abs=1e-5)


def test_verdicts_follow_the_targets_and_the_config_moves_them(cstui, tmp_path: Path) -> None:
    _, out, _ = cstui("report", "--period", "month", "--json")
    figures = json.loads(out)["figures"]
    csat = figures["csat"]
    assert csat["target"] == {"kind": "at_least", "value": 0.9}
    assert csat["on_target"] == (csat["value"] >= 0.9)
    gain = figures["very_satisfied"]
    assert gain["on_target"] == (gain["change"] >= 0.05)
    assert figures["avg_first_response"]["target"]["value"] == 1200
    assert figures["avg_resolution_time"]["target"] is None

    (tmp_path / "config.toml").write_text(
        "[targets]\ncsat = 0.1\navg_first_response_minutes = 90\navg_resolution_hours = 1\n"
    )
    _, out, _ = cstui("report", "--period", "month", "--json")
    moved = json.loads(out)["figures"]
    assert moved["csat"]["on_target"] is True
    assert moved["avg_first_response"]["target"]["value"] == 5400
    assert moved["avg_resolution_time"]["on_target"] is (
        moved["avg_resolution_time"]["value"] <= 3600
    )


def test_formats_agree_with_the_json(cstui) -> None:
    figures = json.loads(cstui("report", "--period", "week", "--json")[1])["figures"]
    code, text, _ = cstui("report", "--period", "week", "--format", "csv")
    assert code == 0
    rows = {r["figure"]: r for r in csv.DictReader(io.StringIO(text))}
    assert list(rows) == list(figures)
    for name, row in rows.items():
        value = figures[name]["value"]
        assert (
            (row["value"] == "")
            if value is None
            else float(row["value"]) == pytest.approx(value, rel=1e-5)
        )
    md = cstui("report", "--period", "week")[1]
    assert md.startswith("# Quality report, week 2026-11-16 – 2026-11-22")
    assert md.count("\n| ") == len(figures) + 2  # header, rule, one row per figure
    page = cstui("report", "--period", "week", "--format", "html", "--lang", "zh")[1]
    assert "<title>质检周报 2026-11-16 – 2026-11-22</title>" in page
    assert page.count("<tr class=") == len(figures)


def test_the_previous_month_is_the_calendar_month_before(cstui) -> None:
    data = json.loads(cstui("report", "--period", "month", "--at", "2026-03-31", "--json")[1])
    assert data["previous"]["start"] == "2026-02-01"
    assert data["previous"]["until"] == "2026-02-28T16:00:00+00:00"  # 00:00 in Shanghai


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "year"), "'--period'"),
        (("--format", "pdf"), "'--format'"),
        (("--at", "2026-13-01"), "--at: not an ISO date"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cstui, args: tuple[str, ...], message: str) -> None:
    code, out, err = cstui("report", *args)
    assert code == 2
    assert out == ""
    assert message in err and err.count("\n") == 1


def test_window_events_give_the_figures_of_the_whole_log(world: Path) -> None:
    """The store reads only the tickets touched in the window, and loses nothing by it."""
    from cstui.domain import metrics

    store = open_store(str(world), rules=Rules())
    try:
        since, until = NOW - timedelta(days=3), NOW - timedelta(days=1)
        part = list(store.window_events(since=since, until=until))
        whole = list(store.events())
    finally:
        store.close()
    assert 0 < len(part) < len(whole)
    assert metrics.compute(part, since=since, until=until) == metrics.compute(
        whole, since=since, until=until
    )


def test_a_target_out_of_range_is_bad_input(cstui, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[targets]\ncsat = 1.5\n")
    code, out, err = cstui("report")
    assert (code, out) == (2, "")
    assert err.startswith("cstui: config: targets.csat:")
    code, out, err = cstui("report", "--json")  # with --json the same error, as JSON
    assert (code, out) == (2, "")
    assert json.loads(err)["error"]["message"].startswith("config: targets.csat:")
