"""`cstui ssh-serve`: supervisors reach the monitor, agents the console, over SSH."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cstui import locations
from cstui.cli.context import env_of, err, global_options
from cstui.domain.model import Role
from cstui.errors import BadInput

if TYPE_CHECKING:
    from cstui.store.base import HelpdeskStore


@click.command("ssh-serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on")
@click.option("--port", default=2222, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--authorized-keys",
    "authorized_keys",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="OpenSSH authorized_keys; each key's comment is the agent's name (= login user)",
)
@click.option(
    "--host-key",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The server's private key (default: made once in the data dir)",
)
@click.option(
    "--max-connections",
    default=20,
    show_default=True,
    type=click.IntRange(1),
    help="Connections allowed per client address per minute",
)
@global_options
@click.pass_context
def ssh_serve(
    ctx: click.Context,
    host: str,
    port: int,
    authorized_keys: Path,
    host_key: Path | None,
    max_connections: int,
) -> None:
    """Serve the monitor (supervisors) and the console (agents) over SSH; keys only."""
    from cstui.ssh import keys
    from cstui.ssh.limits import ConnectionLimiter
    from cstui.ssh.server import ServeConfig, serve

    env = env_of(ctx)
    allowed = keys.load(authorized_keys)
    _check_keys(allowed)
    store = env.store()  # opened now: a missing or newer store fails before listening
    _warn_unknown(allowed, store)

    def role_of(name: str) -> Role:
        return store.get_agent(name).role

    config = ServeConfig(
        host=host,
        port=port,
        keys=allowed,
        host_key=host_key or locations.data_dir() / "ssh_host_ed25519_key",
        db=env.db_target,
        role_of=role_of,
        env=dict(os.environ),
        lang=env.options.get("lang"),
        limiter=ConnectionLimiter(per_window=max_connections, window=60.0),
    )
    _log_to_stderr()
    try:
        asyncio.run(serve(config, _announce))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise BadInput(f"--port: cannot listen on {host}:{port}: {exc.strerror}") from None


def _check_keys(allowed: dict[str, set[str]]) -> None:
    """Every key must parse: a typo is reported at start, not as a refused login later."""
    import asyncssh

    for name, entries in allowed.items():
        for entry in entries:
            try:
                asyncssh.import_public_key(entry)
            except (asyncssh.KeyImportError, ValueError):
                raise BadInput(f"--authorized-keys: the key of {name} does not parse") from None


def _warn_unknown(allowed: dict[str, set[str]], store: HelpdeskStore) -> None:
    from cstui.errors import NotFound

    for name in allowed:
        try:
            store.get_agent(name)
        except NotFound:
            err(f"warning: authorized key for {name}, who is not an agent of this store")


def _announce(host: str, port: int) -> None:
    err(f"ssh-serve: listening on {host}:{port} (public keys only; Ctrl+C stops)")


def _log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s cstui ssh: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
