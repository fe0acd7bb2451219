"""`cstui web`: the console (or the monitor) in a browser, through textual-serve.

It listens on 127.0.0.1 only and has no authentication of its own: whoever can open the
page acts as the agent named here. To reach it from elsewhere, put an authenticating proxy
or an SSH tunnel (`ssh -L 8000:127.0.0.1:8000 host`) in front of it. Each tab's app is a
process that ends with its tab and with the server (`cstui.web.server`); the server exits
130 after Ctrl+C, 143 after SIGTERM.
"""

from __future__ import annotations

import sys

import click

from cstui.cli.context import env_of, err, global_options

LOCALHOST = "127.0.0.1"


@click.command("web")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--monitor", "monitor", is_flag=True, help="Serve the supervisor's monitor instead")
@global_options
@click.pass_context
def web(ctx: click.Context, port: int, monitor: bool) -> None:
    """The console in a browser at http://127.0.0.1:PORT (localhost only, no login)."""
    from cstui.web.server import SessionServer

    env = env_of(ctx)
    name = env.actor()
    env.store().get_agent(name)  # a typo in --as fails now, not in every browser tab
    # Each browser tab runs the app as a child whose output is a pipe, not a terminal.
    environment = {"CSTUI_HEADLESS": "1"}
    if env.remote:
        # Each tab's console reaches the team server itself. The token travels in the
        # environment, never on a command line that `ps` shows to every user.
        where = ["--api", str(env.settings.api)]
        environment["CSTUI_TOKEN"] = env.settings.token or ""
    else:
        where = ["--db", env.db_target, "--as", name]
    argv = app_command(where, env.options.get("lang"), monitor)
    what = "monitor" if monitor else "console"
    err(
        f"web: the {what} for {name} at http://{LOCALHOST}:{port} — localhost only, "
        f"no authentication of its own: anyone who can open it acts as {name} (Ctrl+C stops)"
    )
    server = SessionServer(
        argv, environment=environment, host=LOCALHOST, port=port, title=f"cstui {what} · {name}"
    )
    raise SystemExit(server.serve())  # 130 after Ctrl+C, 143 after SIGTERM


def app_command(where: list[str], lang: str | None, monitor: bool) -> list[str]:
    """What each browser tab runs; `where`: `--db PATH --as NAME`, or `--api URL`."""
    argv = [sys.executable, "-m", "cstui", *where]
    if lang:
        argv += ["--lang", lang]
    return [*argv, "monitor"] if monitor else argv
