"""`cstui monitor`: the supervisor's live monitor on the configured store."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from cstui import locations
from cstui.cli.automations import start_automations
from cstui.cli.console import check_console_terminal, store_for_screen
from cstui.cli.context import Env, clock_from_env, env_of, global_options
from cstui.config import goals_from_settings, rules_from_settings


@click.command("monitor")
@click.option(
    "--export-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where `e` saves the sync sheet (default: the data dir)",
)
@global_options
@click.pass_context
def monitor(ctx: click.Context, export_dir: str | None) -> None:
    """The supervisor's live monitor: queues, SLA, green channel, escalations, agents, figures.

    Read-only; a supervisor presses `a` to act (approve transfers, reassign, green channel,
    acknowledge escalations, pause an agent's routing).
    """
    run_monitor(env_of(ctx), export_dir=export_dir)


def run_monitor(env: Env, *, export_dir: str | None = None) -> None:
    from pathlib import Path

    from cstui import i18n
    from cstui.console.themes import check_theme

    settings = env.settings
    check_theme(settings.theme, locations.user_themes_dir())
    check_console_terminal()
    i18n.set_language(settings.lang)
    from cstui.monitor.app import MonitorConfig, build_monitor

    name = env.actor()  # with --api, the token's agent
    open_store = store_for_screen(env, name)
    rules, clock = rules_from_settings(settings), clock_from_env()
    config = MonitorConfig(
        actor=name,
        tz=ZoneInfo(settings.timezone),
        risk_window=rules.sla.risk_window,
        goals=goals_from_settings(settings),
        theme=settings.theme,
        themes_dir=locations.user_themes_dir(),
        export_dir=Path(export_dir) if export_dir else locations.data_dir(),
        background=start_automations(env),
    )
    # A local store (--db) or the team server (--api): the monitor sees only the protocol.
    build_monitor(open_store, config, clock=clock).run()
