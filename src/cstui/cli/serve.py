"""`cstui serve`: the team server, the HTTP API of CONTRACT.md over the configured store."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import click

from cstui.cli.context import clock_from_env, env_of, global_options
from cstui.config import rules_from_settings
from cstui.errors import BadInput, Unavailable

if TYPE_CHECKING:
    from cstui.channels.worker import Runner
    from cstui.config import Settings
    from cstui.store.sql import SqlStore

GRACEFUL_SECONDS = 3


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on")
@click.option(
    "--port", default=8787, show_default=True, type=click.IntRange(0, 65535), help="0: any free"
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@global_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, log_level: str) -> None:
    """Serve the store over HTTP (/api/v1, /openapi.json, /healthz) until interrupted."""
    import uvicorn

    from cstui.server.app import create_app
    from cstui.server.deps import ServerOptions, channel_options
    from cstui.server.runner import uvicorn_config
    from cstui.store import open_store

    env = env_of(ctx)
    if env.settings.api:
        raise BadInput("--api: serve runs on a store (--db), not on another server")
    s = env.settings.server
    options = ServerOptions(
        rate_per_second=s.rate_limit_per_second,
        rate_burst=s.rate_limit_burst,
        events_poll_seconds=s.events_poll_seconds,
        **channel_options(env.settings.channels),
    )
    store = open_store(
        env.db_target, rules=rules_from_settings(env.settings), clock=clock_from_env()
    )
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    # Printed (and flushed) before serving: with --port 0 this is how a script learns the port.
    click.echo(f"cstui serve: listening on http://{host}:{bound}", err=True)
    config = uvicorn_config(
        create_app(store, options),
        log_level=log_level,
        # Live event streams never end on their own: on Ctrl+C or SIGTERM, close them after
        # a few seconds instead of waiting for every client to hang up.
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    workers: Runner | None = None
    sweeper: Runner | None = None
    try:
        workers = _channel_workers(store, env.settings)
        sweeper = _automation_sweeper(store, env.settings)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        for runner in (sweeper, workers):
            if runner is not None:
                runner.stop()
        store.close()


def _channel_workers(store: SqlStore, settings: Settings) -> Runner | None:
    """The mailbox pollers and the delivery worker, started when channels are configured
    (with several servers on one PostgreSQL, each mailbox is polled by one of them)."""
    from cstui.channels.service import build_runner, configured
    from cstui.cli.channels import setup_logging

    if not configured(settings.channels):
        return None
    setup_logging()
    runner = build_runner(store, settings.channels, clock=clock_from_env(), lang=settings.lang)
    runner.start()
    return runner


def _automation_sweeper(store: SqlStore, settings: Settings) -> Runner | None:
    """The automations' sweeper, started when `[automations] enabled`: with several servers
    on one PostgreSQL only the lock's holder sweeps, and a standby takes over within
    seconds of the holder's death."""
    from cstui.automation_config import automation_policy
    from cstui.automations.runner import Sweeper
    from cstui.channels.locks import leader_lock
    from cstui.channels.worker import Runner
    from cstui.cli.channels import setup_logging

    if not settings.automations.enabled:
        return None
    setup_logging()
    policy = automation_policy(settings.automations, store.rules)
    sweeper = Sweeper(store, policy, leader_lock(store.engine, "automations"))
    runner = Runner([sweeper.run], ["automations"])
    runner.start()
    return runner


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY on the connections only
    # then, and without it a keep-alive client waits ~40 ms (delayed ACK) for every answer.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise Unavailable(f"serve: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
