"""`[calendar]` in the config file: loaded, validated, one line naming the setting."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from cstui.config import load_settings, rules_from_settings
from cstui.domain.calendar import EVERY_DAY, DayKind
from cstui.errors import BadInput


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("", encoding="utf-8")
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(path))
    return path


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_a_full_calendar_section_is_what_the_clock_uses(config: Path) -> None:
    write(
        config,
        """
timezone = "Asia/Shanghai"
[calendar]
service_days = ["mon", "tue", "wed", "thu", "fri", "sat"]
hours = { start = "09:00", end = "21:30" }
public_holidays = true
extra_holidays = ["2027-01-04", "2027-01-05..2027-01-06", { date = 2027-01-07, name = "年会" }]
extra_working_days = [2027-01-10]
""",
    )
    settings = load_settings()
    cal = rules_from_settings(settings).calendar
    assert (cal.day_start, cal.day_end) == (time(9), time(21, 30))
    assert cal.days.service_days == frozenset(range(6))
    assert cal.days.extra_holidays == {date(2027, 1, d) for d in (4, 5, 6, 7)}
    assert cal.day_kind(date(2027, 1, 10)) is DayKind.COMPANY_WORKDAY
    assert cal.day_kind(date(2027, 1, 9)) is DayKind.WORKING  # a Saturday, served
    assert cal.day_kind(date(2027, 1, 1)) is DayKind.PUBLIC_HOLIDAY
    assert settings.calendar.day_names() == {date(2027, 1, 7): "年会"}


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ('"7x"', EVERY_DAY),
        ('"daily"', EVERY_DAY),
        ('"mon-sun"', EVERY_DAY),
        ('"mon-fri"', frozenset(range(5))),
        ('"sat-mon"', frozenset({5, 6, 0})),
        ('"mon,wed,fri"', frozenset({0, 2, 4})),
        ('["Monday", "周六", "sun"]', frozenset({0, 5, 6})),
    ],
)
def test_service_days_as_people_write_them(config: Path, written: str, days: object) -> None:
    write(config, f"[calendar]\nservice_days = {written}\n")
    assert load_settings().calendar.service_days == days


def test_the_top_level_hours_still_work(config: Path) -> None:
    write(config, 'business_day_start = "07:30"\nbusiness_day_end = "20:00"\n')
    cal = rules_from_settings(load_settings()).calendar
    assert (cal.day_start, cal.day_end) == (time(7, 30), time(20))


@pytest.mark.parametrize(
    ("written", "days"),
    [("7x", frozenset(range(7))), ("mon-sat", frozenset(range(6))), ('["sat", "sun"]', {5, 6})],
)
def test_service_days_from_the_environment_as_written(
    config: Path, monkeypatch: pytest.MonkeyPatch, written: str, days: object
) -> None:
    monkeypatch.setenv("CSTUI_CALENDAR__SERVICE_DAYS", written)
    assert load_settings().calendar.service_days == days


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "CSTUI_CALENDAR__SERVICE_DAYS",
            "[oops",
            "config: calendar.service_days: '[oops' is not a JSON list of day names",
        ),
        (
            "CSTUI_CALENDAR__EXTRA_HOLIDAYS",
            "2027-01-05",
            'config: error parsing value for field "calendar"',
        ),
    ],
)
def test_a_bad_environment_value_is_bad_input(
    config: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(BadInput) as caught:
        load_settings()
    assert str(caught.value).startswith(message)


def test_the_environment_overrides_the_file(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(config, "[calendar]\npublic_holidays = true\n")
    monkeypatch.setenv("CSTUI_CALENDAR__PUBLIC_HOLIDAYS", "false")
    cal = rules_from_settings(load_settings()).calendar
    assert cal.day_kind(date(2026, 10, 1)) is DayKind.WORKING


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('service_days = "mon-xyz"', "calendar.service_days: 'xyz' is not a day of the week"),
        ("service_days = []", "calendar.service_days: name the days served"),
        ("service_days = [1]", "calendar.service_days: 1 is not a day of the week"),
        (
            'hours = { start = "22:00", end = "08:00" }',
            "calendar.hours: start 22:00 must be before end 08:00",
        ),
        ('hours = { start = "08:00" }', "calendar.hours.end: Field required"),
        ('hours = { start = "25:00", end = "26:00" }', "calendar.hours.start"),
        (
            'extra_holidays = ["2027-13-01"]',
            "calendar.extra_holidays.0: '2027-13-01' is not a date",
        ),
        (
            'extra_holidays = ["2027-01-01", "2027-01-09..2027-01-05"]',
            "calendar.extra_holidays.1: 2027-01-05 is before 2027-01-09",
        ),
        (
            'extra_holidays = ["2027-01-01..2028-06-01"]',
            "calendar.extra_holidays.0: a range of more than 366 days",
        ),
        ("extra_working_days = [5]", "calendar.extra_working_days.0: 5: write a date"),
        (
            'extra_holidays = [{ date = "2027-01-04", nme = "x" }]',
            "calendar.extra_holidays.0.nme: Extra inputs are not permitted",
        ),
        (
            'extra_holidays = ["2027-01-10"]\nextra_working_days = ["2027-01-09..2027-01-11"]',
            "calendar: 2027-01-10 is both in extra_holidays and in extra_working_days",
        ),
        ("extra_holiday = []", "calendar.extra_holiday: Extra inputs are not permitted"),
        ('public_holidays = "perhaps"', "calendar.public_holidays: Input should be a valid bool"),
    ],
)
def test_a_mistake_is_one_line_naming_the_setting(config: Path, text: str, message: str) -> None:
    write(config, f"[calendar]\n{text}\n")
    with pytest.raises(BadInput) as caught:
        rules_from_settings(load_settings())
    assert str(caught.value).startswith(f"config: {message}")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'business_day_start = "10:00"\n[calendar]\nhours = { start = "08:00", end = "22:00" }',
            "config: calendar.hours: disagrees with business_day_start/business_day_end",
        ),
        (
            'business_day_start = "22:00"\nbusiness_day_end = "08:00"',
            "config: business_day_start: 22:00 must be before business_day_end 08:00",
        ),
        ('timezone = "Mars/Olympus"', "config: timezone: unknown time zone 'Mars/Olympus'"),
    ],
)
def test_hours_and_zone_mistakes_outside_the_section(config: Path, text: str, message: str) -> None:
    write(config, text + "\n")
    with pytest.raises(BadInput, match="^" + message.replace("(", r"\(")):
        rules_from_settings(load_settings())
