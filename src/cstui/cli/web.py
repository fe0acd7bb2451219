"""`cstui web`: the console (or the monitor) in a browser, through textual-serve.

It listens on 127.0.0.1 only and has no authentication of its own: whoever can open the
page acts as the agent named here. To reach it from elsewhere, put an authenticating proxy
or an SSH tunnel (`ssh -L 8000:127.0.0.1:8000 host`) in front of it; with a proxy,
`--public-url` is the address browsers use, under which the page finds its assets and its
websocket (else they would point at 127.0.0.1). The page loads nothing from another host:
its fonts are served from here. Each tab's app is a
process that ends with its tab and with the server (`cstui.web.server`); the server exits
130 after Ctrl+C, 143 after SIGTERM.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import click

from cstui.cli.context import env_of, err, global_options
from cstui.errors import BadInput

LOCALHOST = "127.0.0.1"


@click.command("web")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--monitor", "monitor", is_flag=True, help="Serve the supervisor's monitor instead")
@click.option(
    "--public-url",
    metavar="URL",
    help="Where browsers reach it through a proxy, e.g. https://cs.example.com/desk",
)
@global_options
@click.pass_context
def web(ctx: click.Context, port: int, monitor: bool, public_url: str | None) -> None:
    """The console in a browser at http://127.0.0.1:PORT (localhost only, no login)."""
    from cstui.web.server import SessionServer

    public = checked_public_url(public_url) if public_url is not None else None
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
    behind = f", reached as {public}" if public else ""
    err(
        f"web: the {what} for {name} at http://{LOCALHOST}:{port}{behind} — localhost only, "
        f"no authentication of its own: anyone who can open it acts as {name} (Ctrl+C stops)"
    )
    server = SessionServer(
        argv,
        environment=environment,
        host=LOCALHOST,
        port=port,
        title=f"cstui {what} · {name}",
        public_url=public,
    )
    raise SystemExit(server.serve())  # 130 after Ctrl+C, 143 after SIGTERM


def app_command(where: list[str], lang: str | None, monitor: bool) -> list[str]:
    """What each browser tab runs; `where`: `--db PATH --as NAME`, or `--api URL`."""
    argv = [sys.executable, "-m", "cstui", *where]
    if lang:
        argv += ["--lang", lang]
    return [*argv, "monitor"] if monitor else argv


def checked_public_url(url: str) -> str:
    """An http(s) URL with a host and at most a path (no trailing slash): the page's assets
    and websocket are addressed under it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--public-url: an http(s) URL with a host, not {url!r}")
    if parts.query or parts.fragment or any(c.isspace() or c in "\"'<>" for c in url):
        raise BadInput(f"--public-url: a scheme, host and path only, not {url!r}")
    return url.rstrip("/")
