"""`cstui` (the console on the configured store) and `cstui demo` (the demo world, then the
console). Textual and the console are imported only here, so the other commands start fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from cstui import locations
from cstui.cli.context import Env, clock_from_env, env_of, global_options
from cstui.config import rules_from_settings
from cstui.errors import BadInput

if TYPE_CHECKING:
    from cstui.demo.live import Feeder
    from cstui.domain.rules import Rules
    from cstui.store.base import FirstLook, HelpdeskStore, View

DEMO_TICKETS = 5_000
DEMO_CUSTOMERS = 2_000
DEMO_AGENT = "agent01"


def run_console(env: Env, *, actor: str | None = None, live_seed: int | None = None) -> None:
    """Open the console on env's store as `actor`; optionally feed live customer traffic."""
    from cstui import i18n
    from cstui.console.themes import check_theme

    settings = env.settings
    check_theme(settings.theme, locations.user_themes_dir())
    check_console_terminal()
    i18n.set_language(settings.lang)
    # With --api the token decides who acts (one call to the server before the console
    # opens); on a store, --as does.
    name = actor or env.actor()
    rules, clock = rules_from_settings(settings), clock_from_env()
    first_look = first_look_for_screen(env, name, rules)  # read while the console loads
    from cstui.cli.automations import start_automations
    from cstui.console.app import ConsoleConfig, build_app

    open_store = store_for_screen(env, name, before_screen=False)
    config = ConsoleConfig(
        actor=name,
        store_key=str(settings.api) if env.remote else env.db_target,
        drafts_dir=locations.drafts_dir(),
        risk_window=rules.sla.risk_window,
        tz=ZoneInfo(settings.timezone),
        theme=settings.theme,
        keymap=settings.keymap or None,
        themes_dir=locations.user_themes_dir(),
        attachment_max_bytes=settings.channels.attachment_max_bytes,
        background=start_automations(env),
        open_or_end=not env.remote,
        first_look=first_look,
    )
    feeder = _start_feeder(env.open_store, live_seed) if live_seed is not None else None
    app = build_app(open_store, config, clock=clock)
    try:
        app.run()
    finally:
        if feeder is not None:
            feeder.stop()
    if app.start_error is not None:  # the store or the agent: the command's line and code
        raise app.start_error


def store_for_screen(
    env: Env, name: str, *, before_screen: bool = True
) -> Callable[[], HelpdeskStore]:
    """The store of a console or monitor acting as `name`, as the factory the app calls.

    A local store that cannot be opened, or an agent who does not exist, ends the command
    with the same line and exit code (6, 4) as any other command, instead of a screen stuck
    loading. `before_screen`: the store is opened and the agent found here, before the
    screen starts; otherwise the factory does both in the app's worker after its first
    paint (SQLAlchemy and the store's modules are imported there), and the app ends with
    that error (`ConsoleConfig.open_or_end`). Through a team server the token has named the
    agent already, and the store is opened in the app's worker, so a server that is down
    still opens offline.
    """
    if env.remote:
        return env.open_store
    if before_screen:
        env.store().get_agent(name)
        return env.store

    def opened() -> HelpdeskStore:
        store = env.store()
        store.get_agent(name)
        return store

    return opened


def first_look_for_screen(
    env: Env, name: str, rules: Rules
) -> Callable[[View, int], FirstLook | None] | None:
    """On a local store: how the console reads its agent and first rows before the store is
    open (`cstui.store.glance`). The console's opening page is read at once, in a thread,
    while the console itself loads. None through a team server."""
    if env.remote:
        return None
    import threading

    from cstui.console.window import OPENING_VIEW, PAGE_SIZE
    from cstui.store.glance import first_look

    target, green_window = env.db_target, rules.escalation.green_window
    opening = (OPENING_VIEW, PAGE_SIZE)
    early: list[FirstLook | None] = []

    def read(view: View, limit: int) -> FirstLook | None:
        return first_look(target, name, view, limit=limit, green_window=green_window)

    def read_early() -> None:
        try:
            early.append(read(*opening))
        except Exception:
            early.append(None)

    thread = threading.Thread(target=read_early, name="first-look", daemon=True)
    thread.start()

    def look(view: View, limit: int) -> FirstLook | None:
        if (view, limit) == opening:
            thread.join()
            return early[0]
        return read(view, limit)

    return look


def _start_feeder(open_store: Callable[[], HelpdeskStore], seed: int) -> Feeder:
    from cstui.demo.live import Feeder

    feeder = Feeder(open_store, seed=seed)
    feeder.start()
    return feeder


@click.command("demo")
@click.option("--seed", "seed", default=0, show_default=True, help="Random seed of the world")
@click.option("--live", is_flag=True, help="Keep new customer messages arriving (with a peak)")
@click.option("--build-only", is_flag=True, help="Build the world and stop (no console)")
@global_options
@click.pass_context
def demo(ctx: click.Context, seed: int, live: bool, build_only: bool) -> None:
    """Build the demo world into --db (default: demo.db in the data dir) if absent; open it."""
    env = env_of(ctx)
    if not env.options.get("db"):
        env.options["db"] = str(locations.data_dir() / "demo.db")
        env._settings = None
    path = Path(env.db_target)
    if not _has_store(env, path):
        _build_world(env, seed)
    else:
        _migrate(env)
    if build_only:
        click.echo(f"demo world ready: {env.db_target}")
        return
    run_console(env, actor=env.settings.agent or DEMO_AGENT, live_seed=seed if live else None)


def _has_store(env: Env, path: Path) -> bool:
    if "://" in env.db_target and not env.db_target.startswith("sqlite"):
        return _remote_has_tickets(env)
    return path.exists() and path.stat().st_size > 0


def _migrate(env: Env) -> None:
    """A demo world built by an older cstui is brought to the current schema first."""
    from cstui.store import init_store

    init_store(env.db_target, rules=rules_from_settings(env.settings)).close()


def _remote_has_tickets(env: Env) -> bool:
    from cstui.errors import Unavailable
    from cstui.store.base import View

    try:
        return env.store().count_tickets(View.ALL_OPEN, actor=None) > 0
    except Unavailable:
        return False


def _build_world(env: Env, seed: int) -> None:
    """The demo world, built once: agents, customers, tickets in every state, the KB."""
    from cstui.demo.knowledge import load_knowledge
    from cstui.demo.seed import seed_store
    from cstui.store.fresh import fresh_store

    click.echo("building the demo world (once)…", err=True)
    now = clock_from_env()()
    with fresh_store(env.db_target, rules=rules_from_settings(env.settings)) as store:
        seed_store(
            store, tickets=DEMO_TICKETS, customers=DEMO_CUSTOMERS, seed=seed, now=now, live=True
        )
        load_knowledge(store, None, seed=seed)
        store.optimize()


def check_console_terminal() -> None:
    import sys

    if not sys.stdout.isatty() and not _headless():
        raise BadInput("the console needs a terminal (use the tickets and kb commands in scripts)")


def _headless() -> bool:
    import os

    return bool(os.environ.get("TEXTUAL_HEADLESS") or os.environ.get("CSTUI_HEADLESS"))
