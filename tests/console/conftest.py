"""A small seeded world, copied per test, and an app opened on it with a pinned clock.

The world is built once per session (seed 7, 400 tickets) and each test gets its own copy,
so a test may take, reply and escalate freely. Every console test runs twice: on the file,
and through a real server on it (`backend`); snapshots are taken on the file only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Input

from cstui.console.app import ConsoleConfig, CstuiApp, build_app
from cstui.console.knowledge import KnowledgePane
from cstui.domain.rules import Rules
from cstui.remote.http_store import HttpStore
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import SqlStore, open_store
from cstui.store.base import HelpdeskStore
from tests.serving import ThreadServer
from tests.worlds import copied, seeded_world

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def fixed_clock() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_world(
        tmp_path_factory.mktemp("world"),
        clock=fixed_clock,
        tickets=400,
        customers=150,
        seed=7,
        knowledge=True,
    )


@pytest.fixture
def world(world_template: Path, tmp_path: Path) -> Path:
    return copied(world_template, tmp_path)


@pytest.fixture
def store(world: Path) -> SqlStore:
    s = open_store(str(world), rules=Rules(), clock=fixed_clock)
    yield s
    s.close()


AppFactory = Callable[..., CstuiApp]
StoreOpener = Callable[[str], Callable[[], HelpdeskStore]]  # actor -> how the console opens it


@pytest.fixture(params=["store", "server"])
def backend(request: pytest.FixtureRequest) -> str:
    """The console on the SQLite file itself, and through `HttpStore` to a real server on
    the same file (what `cstui --api` does); tests check the file with `store` either way."""
    return str(request.param)


@pytest.fixture
def open_for(backend: str, world: Path) -> Iterator[StoreOpener]:
    target = str(world)
    if backend == "store":
        yield lambda _actor: lambda: open_store(target, rules=Rules(), clock=fixed_clock)
        return
    served = open_store(target, rules=Rules(), clock=fixed_clock)
    tokens: dict[str, str] = {}

    def token(actor: str) -> str:
        if actor not in tokens:
            tokens[actor] = served.issue_token(actor)
        return tokens[actor]

    with ThreadServer(create_app(served, ServerOptions(rate_per_second=0))) as server:
        yield lambda actor: lambda: HttpStore(server.url, token(actor))
    served.close()


def console_config(
    world: Path, tmp_path: Path, actor: str = "agent01", **config: object
) -> ConsoleConfig:
    """The console's settings in these tests: the world's store, Shanghai time, drafts and
    themes of the test's own."""
    settings = {
        "actor": actor,
        "store_key": str(world),
        "drafts_dir": tmp_path / "drafts",
        "tz": SHANGHAI,
        "themes_dir": tmp_path / "themes",
        **config,
    }
    return ConsoleConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
def make_app(world: Path, tmp_path: Path, open_for: StoreOpener) -> AppFactory:
    def make(actor: str = "agent01", **config: object) -> CstuiApp:
        settings = console_config(world, tmp_path, actor, **config)
        return build_app(open_for(actor), settings, clock=fixed_clock)

    return make


def searched(app: CstuiApp) -> Callable[[], bool]:
    """Whether the knowledge pane shows the results of what was typed into it (the search
    waits for typing to pause, then runs in a worker): a condition for `until`."""
    pane = app.query_one(KnowledgePane)
    return lambda: pane.results_for == pane.query_one(Input).value
