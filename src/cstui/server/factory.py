"""The team server's app built from settings alone: what each worker process loads.

`cstui serve --workers N` runs N processes on one port, each calling `app_from_settings`;
so may uvicorn itself, under another process manager:

    CSTUI_DB=postgresql://cstui@db/cstui \\
        uvicorn --factory cstui.server.factory:app_from_settings --workers 4 --port 8787

Settings come from the environment (`CSTUI_DB`, `CSTUI_SERVER__POOL_SIZE`, …) and the config
file, as for every command. uvicorn run this way serves the API only: the channel workers
and the automations' sweeper then run as their own processes (`cstui channels run`,
`cstui automations run`), as does `cstui serve` for one worker.
"""

from __future__ import annotations

from starlette.types import ASGIApp

from cstui import locations
from cstui.config import Settings, clock_from_env, load_settings, rules_from_settings
from cstui.errors import BadInput
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions, channel_options
from cstui.server.runner import AccessLog
from cstui.store import open_store
from cstui.store.sql import SqlStore

# What `uvicorn_config` is given for worker processes to import.
FACTORY = f"{__name__}:app_from_settings"


def server_options(settings: Settings) -> ServerOptions:
    """The server's options from `[server]` and `[channels]` (secrets read now)."""
    s = settings.server
    return ServerOptions(
        rate_per_second=s.rate_limit_per_second,
        rate_burst=s.rate_limit_burst,
        events_poll_seconds=s.events_poll_seconds,
        **channel_options(settings.channels),
    )


def store_target(settings: Settings) -> str:
    if settings.api:
        raise BadInput("--api: the server runs on a store (--db, CSTUI_DB), not on another server")
    return settings.db or str(locations.default_database())


def open_served_store(settings: Settings, target: str) -> SqlStore:
    """The store a server process works on, with `[server]`'s connection pool."""
    return open_store(
        target,
        rules=rules_from_settings(settings),
        clock=clock_from_env(),
        pool_size=settings.server.pool_size,
        pool_overflow=settings.server.pool_overflow,
    )


def app_from_settings() -> ASGIApp:
    """The app on the configured store, with its access log (a uvicorn `--factory`)."""
    settings = load_settings()
    store = open_served_store(settings, store_target(settings))
    return AccessLog(create_app(store, server_options(settings)))
