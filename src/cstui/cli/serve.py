"""`cstui serve`: the team server, the HTTP API of CONTRACT.md over the configured store."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from typing import TYPE_CHECKING, Any

import click

from cstui.cli.context import clock_from_env, env_of, global_options
from cstui.errors import Unavailable
from cstui.server.logs import LOG_FORMATS, LogFormat

# prometheus-client's multiprocess directory (named here: importing it would load the server)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

if TYPE_CHECKING:
    import uvicorn

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
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes serving the port (default: [server] workers, 1)",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.option(
    "--log-format",
    default="text",
    show_default=True,
    type=click.Choice(LOG_FORMATS),
    help="json: one JSON object a line",
)
@global_options
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int | None,
    log_level: str,
    log_format: LogFormat,
) -> None:
    """Serve the store over HTTP (/api/v1, /openapi.json, /healthz, /readyz, /metrics)
    until interrupted."""
    from cstui.server.factory import open_served_store, server_options, store_target
    from cstui.server.runner import uvicorn_config

    env = env_of(ctx)
    settings = env.settings
    target = store_target(settings)
    workers = workers or settings.server.workers
    options = server_options(settings)  # secrets read (and refused) before anything starts
    store = open_served_store(settings, target)
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    # Printed (and flushed) before serving: with --port 0 this is how a script learns the port.
    click.echo(f"cstui serve: listening on http://{host}:{bound}", err=True)
    # Live event streams never end on their own: on Ctrl+C or SIGTERM, close them after a
    # few seconds instead of waiting for every client to hang up.
    common: dict[str, Any] = {"log_level": log_level, "log_format": log_format}
    common["timeout_graceful_shutdown"] = GRACEFUL_SECONDS
    runners: list[Runner] = []
    metrics_dir: str | None = None
    try:
        if workers == 1:
            from cstui.server.app import create_app

            server = _server(uvicorn_config(create_app(store, options), **common))
            runners = _background(store, settings)
            server.run(sockets=[sock])
        else:
            metrics_dir = _worker_environment(target, env.options.get("lang"))
            from cstui.server.factory import FACTORY

            config = uvicorn_config(FACTORY, workers=workers, **common)
            runners = _background(store, settings)  # here, once: not in every worker
            _supervise(config, sock)
    finally:
        for runner in reversed(runners):
            runner.stop()
        store.close()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _server(config: uvicorn.Config) -> uvicorn.Server:
    import uvicorn

    return uvicorn.Server(config)


def _supervise(config: uvicorn.Config, sock: socket.socket) -> None:
    """uvicorn's supervisor: starts the workers (spawned: each loads the app from settings),
    restarts one that dies, and stops them all on Ctrl+C or SIGTERM."""
    from uvicorn.supervisors import Multiprocess

    Multiprocess(config, sockets=[sock]).run()


def _worker_environment(target: str, lang: str | None) -> str | None:
    """What the worker processes inherit: the store this command resolved (from --db, the
    environment or the config file) and a fresh directory for their Prometheus figures.
    Returns that directory when this command made it (to remove it afterwards)."""
    os.environ["CSTUI_DB"] = target
    if lang:
        os.environ["CSTUI_LANG"] = lang
    if os.environ.get(MULTIPROC_ENV):
        return None  # the operator's own directory (they empty it between runs)
    made = tempfile.mkdtemp(prefix="cstui-metrics-")
    os.environ[MULTIPROC_ENV] = made
    return made


def _background(store: SqlStore, settings: Settings) -> list[Runner]:
    """The channel workers and the automations' sweeper, where configured."""
    return [
        runner
        for runner in (_channel_workers(store, settings), _automation_sweeper(store, settings))
        if runner is not None
    ]


def _channel_workers(store: SqlStore, settings: Settings) -> Runner | None:
    """The mailbox pollers and the delivery worker, started when channels are configured
    (with several servers on one PostgreSQL, each mailbox is polled by one of them)."""
    from cstui.channels.service import build_runner, configured

    if not configured(settings.channels):
        return None
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

    if not settings.automations.enabled:
        return None
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
