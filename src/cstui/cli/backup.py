"""`cstui backup PATH`: a copy of the SQLite store taken while it is in use (for PostgreSQL,
the message gives the pg_dump command instead, and the exit code is 2)."""

from __future__ import annotations

from pathlib import Path

import click

from cstui.cli.context import env_of, global_options, say


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists")
@global_options
@click.pass_context
def backup(ctx: click.Context, path: Path, force: bool) -> None:
    """Copy the store to PATH, consistently, while servers and consoles keep working."""
    from cstui.store.backup import backup as copy_store

    env = env_of(ctx)
    made = copy_store(env.db_target, path, overwrite=force)
    env.emit(
        {"path": str(made.path), "bytes": made.bytes, "pages": made.pages},
        lambda: say(f"backup: {made.bytes / 1e6:.1f} MB written to {made.path}"),
    )
