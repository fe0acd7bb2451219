"""The command line: `cstui` and its subcommands (CONTRACT.md).

Subcommands are imported only when they run: `cstui` alone opens the console, whose first
paint must not wait for the store's modules (SQLAlchemy) that most commands import.
"""

from __future__ import annotations

import gc
import importlib

import click

from cstui import __version__
from cstui.cli.context import env_of, global_options

# name -> "module:attribute"; `cstui --help` lists them without importing any.
COMMANDS: dict[str, str] = {
    "demo": "cstui.cli.console:demo",
    "init": "cstui.cli.admin:init",
    "seed": "cstui.cli.admin:seed",
    "export": "cstui.cli.admin:export",
    "import": "cstui.cli.admin:import_",
    "agents": "cstui.cli.admin:agents",
    "metrics": "cstui.cli.metrics:metrics",
    "report": "cstui.cli.report:report",
    "monitor": "cstui.cli.monitor:monitor",
    "ssh-serve": "cstui.cli.ssh:ssh_serve",
    "web": "cstui.cli.web:web",
    "locate": "cstui.cli.admin:locate",
    "tickets": "cstui.cli.tickets:tickets",
    "kb": "cstui.cli.kb:kb",
    "suggest": "cstui.cli.assist:suggest",
    "serve": "cstui.cli.serve:serve",
    "channels": "cstui.cli.channels:channels",
    "mail": "cstui.cli.mail:mail",
    "calendar": "cstui.cli.calendar:calendar",
    "attachments": "cstui.cli.attachments:attachments",
    "automations": "cstui.cli.automations:automations",
    "backup": "cstui.cli.backup:backup",
    "notifications": "cstui.cli.notifications:notifications",
}


class LazyGroup(click.Group):
    """A group whose subcommands live in COMMANDS and are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
@click.version_option(__version__, prog_name="cstui")
@global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """cstui: the customer-service console for e-commerce teams.

    Without a command, opens the agent console on the configured store.
    """
    if ctx.invoked_subcommand is None:
        from cstui.cli.console import run_console

        run_console(env_of(ctx))  # the console turns the collector back on (see __main__)
    else:
        gc.enable()
