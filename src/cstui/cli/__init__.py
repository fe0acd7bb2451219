"""The command line: `cstui` and its subcommands (CONTRACT.md)."""

from __future__ import annotations

import click

from cstui import __version__
from cstui.cli.admin import agents, export, import_, init, locate, metrics, seed
from cstui.cli.context import global_options
from cstui.cli.kb import kb
from cstui.cli.tickets import tickets


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cstui")
@global_options
def cli() -> None:
    """cstui: the customer-service console for e-commerce teams."""


for command in (init, seed, export, import_, agents, metrics, locate, tickets, kb):
    cli.add_command(command)
