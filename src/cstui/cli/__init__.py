"""The command line: `cstui` and its subcommands (CONTRACT.md)."""

from __future__ import annotations

import click

from cstui import __version__
from cstui.cli.admin import agents, export, import_, init, locate, metrics, seed
from cstui.cli.console import demo, run_console
from cstui.cli.context import env_of, global_options
from cstui.cli.kb import kb
from cstui.cli.tickets import tickets


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(__version__, prog_name="cstui")
@global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """cstui: the customer-service console for e-commerce teams.

    Without a command, opens the agent console on the configured store.
    """
    if ctx.invoked_subcommand is None:
        run_console(env_of(ctx))


for command in (demo, init, seed, export, import_, agents, metrics, locate, tickets, kb):
    cli.add_command(command)
