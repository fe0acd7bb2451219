"""A seeded world per session, copied per test, and the monitor opened on it at a fixed time.

10:00 in Shanghai on Friday 2026-11-20: the morning sync meeting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cstui.domain.rules import Rules
from cstui.monitor.app import MonitorApp, MonitorConfig, build_monitor
from cstui.store import SqlStore, open_store
from tests.worlds import copied, seeded_world

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def fixed_clock() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def monitor_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_world(
        tmp_path_factory.mktemp("monitor"), clock=fixed_clock, tickets=600, customers=200, seed=5
    )


@pytest.fixture
def world(monitor_world: Path, tmp_path: Path) -> Path:
    return copied(monitor_world, tmp_path)


@pytest.fixture
def store(world: Path) -> SqlStore:
    s = open_store(str(world), rules=Rules(), clock=fixed_clock)
    yield s
    s.close()


MonitorFactory = Callable[..., MonitorApp]


@pytest.fixture
def make_monitor(world: Path, tmp_path: Path) -> MonitorFactory:
    def make(actor: str = "sup01", **config: object) -> MonitorApp:
        target = str(world)
        settings = {
            "actor": actor,
            "tz": SHANGHAI,
            "themes_dir": tmp_path / "themes",
            "export_dir": tmp_path / "exports",
            **config,
        }
        return build_monitor(
            lambda: open_store(target, rules=Rules(), clock=fixed_clock),
            MonitorConfig(**settings),  # type: ignore[arg-type]
            clock=fixed_clock,
        )

    return make
