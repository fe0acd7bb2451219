"""`cstui calendar show` prints the calendar the SLA clock uses, and a new ticket's
deadlines move when the config adds a working Sunday or a company holiday."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Friday 2027-01-08, 21:50 in Shanghai: ten minutes before closing.
FRIDAY_EVENING = "2027-01-08T13:50:00+00:00"
WORKING_SUNDAY = '[calendar]\nextra_working_days = [{ date = "2027-01-10", name = "盘点" }]\n'
COMPANY_HOLIDAY = '[calendar]\nextra_holidays = [{ date = "2027-01-11", name = "年会" }]\n'
MAIL = (
    "From: buyer@shop.example\nTo: support@example.com\nSubject: 还没收到货\n"
    "Message-ID: <parcel-1@shop.example>\nDate: Fri, 08 Jan 2027 21:50:00 +0800\n\n"
    "Where is my parcel?\n"
)


def cstui(
    home: Path, *args: str, config: str = "", stdin: str | None = None, now: str | None = None
) -> subprocess.CompletedProcess[str]:
    (home / "config.toml").write_text(config, encoding="utf-8")
    env = {
        **os.environ,
        "CSTUI_DB": str(home / "cstui.db"),
        "CSTUI_CONFIG_FILE": str(home / "config.toml"),
        "CSTUI_NOW": now or FRIDAY_EVENING,
    }
    for name in ("CSTUI_LANG", "CSTUI_AGENT", "CSTUI_API"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "cstui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def days_of(home: Path, month: str, config: str) -> dict[str, dict[str, Any]]:
    shown = json.loads(ok(cstui(home, "calendar", "show", month, "--json", config=config)))
    return {day["date"]: day for day in shown["days"]}


def test_show_marks_a_working_sunday_and_a_company_holiday(tmp_path: Path) -> None:
    both = WORKING_SUNDAY + 'extra_holidays = [{ date = "2027-01-11", name = "年会" }]\n'
    out = ok(cstui(tmp_path, "calendar", "show", "2027-01", config=both))
    assert "  Mon  Tue  Wed  Thu  Fri  Sat  Sun" in out
    assert "   4    5    6    7    8    9-  10W" in out
    assert "  11C  12   13   14   15   16-  17-" in out
    assert "2027-01-01 fri  public holiday            New Year's Day" in out
    assert "2027-01-10 sun  company working day       盘点" in out
    assert "2027-01-11 mon  company holiday           年会" in out
    assert "hours 08:00–22:00 (Asia/Shanghai)" in out
    assert "20 working days, 280 business hours" in out
    plain = ok(cstui(tmp_path, "calendar", "show", "2027-01"))
    assert "  10-" in plain and "20 working days" in plain


def test_show_json_gives_each_day_its_kind_and_hours(tmp_path: Path) -> None:
    shown = json.loads(
        ok(cstui(tmp_path, "calendar", "show", "2027-01", "--json", config=WORKING_SUNDAY))
    )
    assert shown["month"] == "2027-01"
    assert shown["hours"] == {"start": "08:00", "end": "22:00"}
    assert shown["service_days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert shown["public_holidays"] is True
    assert shown["working_days"] == 21
    assert shown["business_minutes"] == 21 * 14 * 60
    days = {day["date"]: day for day in shown["days"]}
    assert len(days) == 31
    assert days["2027-01-10"] == {
        "date": "2027-01-10",
        "weekday": "sun",
        "kind": "company_workday",
        "working": True,
        "name": "盘点",
        "opening": "2027-01-10T00:00:00+00:00",
        "closing": "2027-01-10T14:00:00+00:00",
    }
    assert days["2027-01-01"]["kind"] == "public_holiday"
    assert days["2027-01-01"]["opening"] is None
    assert days["2027-01-09"]["kind"] == "rest"


def test_a_seven_day_team_without_public_holidays(tmp_path: Path) -> None:
    config = '[calendar]\nservice_days = "7x"\npublic_holidays = false\n'
    days = days_of(tmp_path, "2026-10", config)
    assert all(day["working"] for day in days.values())
    assert days["2026-10-01"]["kind"] == "working"


def test_show_in_chinese_names_the_spring_festival_and_the_shifted_saturday(
    tmp_path: Path,
) -> None:
    out = ok(cstui(tmp_path, "calendar", "show", "2026-02", "--lang", "zh"))
    assert "   一   二   三   四   五   六   日" in out
    assert "2026-02-14 周六  调休上班" in out
    assert "2026-02-17 周二  法定节假日                春节" in out
    assert "  14S" in out
    assert "适用中国法定节假日" in out


def test_the_default_month_is_this_month_by_the_pinned_clock(tmp_path: Path) -> None:
    # 2026-09-30 20:00 UTC is already October 1st in Shanghai.
    shown = json.loads(
        ok(cstui(tmp_path, "calendar", "show", "--json", now="2026-09-30T20:00:00+00:00"))
    )
    assert shown["month"] == "2026-10"


def test_a_company_days_name_is_shown_inert(tmp_path: Path) -> None:
    config = (
        '[calendar]\nextra_holidays = [{ date = "2027-01-04", name = "x\\u001b]0;pwned\\u0007" }]\n'
    )
    result = cstui(tmp_path, "calendar", "show", "2027-01", config=config)
    assert "\x1b" not in ok(result) and "\x07" not in result.stdout
    assert "2027-01-04 mon  company holiday" in result.stdout
    as_json = json.loads(
        ok(cstui(tmp_path, "calendar", "show", "2027-01", "--json", config=config))
    )
    assert as_json["days"][3]["name"] == "x\x1b]0;pwned\x07"  # the data itself, exactly


@pytest.mark.parametrize("month", ["2027-13", "2027-1", "next", "1800-01"])
def test_a_bad_month_is_bad_input(tmp_path: Path, month: str) -> None:
    result = cstui(tmp_path, "calendar", "show", month)
    assert result.returncode == 2
    assert result.stderr.startswith("cstui: MONTH: expected YYYY-MM")
    assert result.stderr.count("\n") == 1


def test_a_bad_calendar_config_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    config = '[calendar]\nextra_holidays = ["2027-01-10"]\nextra_working_days = ["2027-01-10"]\n'
    result = cstui(tmp_path, "calendar", "show", "2027-01", config=config)
    assert result.returncode == 2
    assert result.stderr == (
        "cstui: config: calendar: 2027-01-10 is both in extra_holidays and in extra_working_days\n"
    )


def new_ticket_due(home: Path, config: str) -> dict[str, str | None]:
    """A ticket opened by a customer's mail on Friday evening, on a fresh store."""
    ok(cstui(home, "init", config=config))
    made = json.loads(ok(cstui(home, "mail", "ingest", "--json", config=config, stdin=MAIL)))
    (item,) = made["items"]
    ticket = json.loads(
        ok(cstui(home, "tickets", "show", str(item["ticket_id"]), "--json", config=config))
    )
    due: dict[str, str | None] = ticket["due"]
    return due


@pytest.mark.parametrize(
    ("config", "first_response", "resolution"),
    [
        # 10 minutes on Friday, the rest from Monday's opening; 24 business hours: Tuesday 17:50.
        ("", "2027-01-11T00:10:00+00:00", "2027-01-12T09:50:00+00:00"),
        # The working Sunday answers first and resolves a day earlier.
        (WORKING_SUNDAY, "2027-01-10T00:10:00+00:00", "2027-01-11T09:50:00+00:00"),
        # The company holiday on Monday pushes both a day later.
        (COMPANY_HOLIDAY, "2027-01-12T00:10:00+00:00", "2027-01-13T09:50:00+00:00"),
    ],
    ids=["statutory", "working-sunday", "company-holiday"],
)
def test_a_new_tickets_deadlines_move_with_the_calendar(
    tmp_path: Path, config: str, first_response: str, resolution: str
) -> None:
    due = new_ticket_due(tmp_path, config)
    assert (due["first_response"], due["resolution"]) == (first_response, resolution)
