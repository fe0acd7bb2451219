"""What every command shares: global options, settings, the store, and output.

The global options are accepted before or after the subcommand (`cstui --json tickets list`
and `cstui tickets list --json` both work): each command gets them through
`global_options`, and they are collected on the root context.

Human output (`say`, `err`) is made inert: text from customers and articles never reaches a
terminal as control. JSON stays the exact data (`json.dumps` escapes every control).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cstui import locations
from cstui.config import Settings, load_settings, rules_from_settings
from cstui.config import clock_from_env as clock_from_env  # where the commands find it
from cstui.domain.display import inert
from cstui.domain.inputs import INT_MAX, require_text
from cstui.errors import BadInput

if TYPE_CHECKING:
    from cstui.store.base import HelpdeskStore

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Env:
    """The invocation's options, resolved lazily into settings and a store."""

    options: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _store: HelpdeskStore | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            settings = load_settings(
                db=self.options.get("db"),
                api=self.options.get("api"),
                token=self.options.get("token"),
                agent=self.options.get("agent"),
                lang=self.options.get("lang"),
            )
            # The options were checked as they were parsed; what is still not text came
            # from the environment.
            for name in ("db", "api", "token", "agent"):
                value = getattr(settings, name)
                if value is not None:
                    require_text(value, f"CSTUI_{name.upper()}")
            self._settings = settings
        return self._settings

    @property
    def remote(self) -> bool:
        """Talking to a team server (--api) instead of a store."""
        return bool(self.settings.api)

    @property
    def json(self) -> bool:
        return bool(self.options.get("json"))

    @property
    def db_target(self) -> str:
        if self.remote:
            raise BadInput("--api: this command works on a store (--db), not through a server")
        return self.settings.db or str(locations.default_database())

    def store(self) -> HelpdeskStore:
        """The store of this invocation: the team server's with --api, else the SQL one."""
        if self._store is None:
            self._store = self.open_store()
        return self._store

    def open_store(self) -> HelpdeskStore:
        """A new store connection (the console opens one per worker thread)."""
        if self.remote:
            from cstui.remote.http_store import HttpStore

            if not self.settings.token:
                raise BadInput("--token: --api needs an API token (or set CSTUI_TOKEN)")
            return HttpStore(str(self.settings.api), self.settings.token)
        from cstui.store import open_store

        return open_store(
            self.db_target, rules=rules_from_settings(self.settings), clock=clock_from_env()
        )

    def actor(self) -> str:
        """The acting agent: --as on a store; with --api, the token's agent."""
        if self.remote:
            from cstui.remote.http_store import HttpStore
            from cstui.remote.whoami import token_owner

            store = self.store()
            assert isinstance(store, HttpStore)
            url, token = str(self.settings.api), self.settings.token or ""
            return token_owner(url, token, lambda: store.me.name, locations.token_owners_file())
        name = self.settings.agent
        if not name:
            raise BadInput("--as: name the acting agent (or set CSTUI_AGENT)")
        return name

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        """JSON on stdout with --json, the human rendering otherwise."""
        if self.json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=None))
        else:
            human()


def _store_option(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if isinstance(value, str):
            require_text(value, _label(param))
        if value is not None and value is not False:
            env = ctx.find_root().ensure_object(Env)
            env.options[name] = value
        return value

    return callback


def global_options(f: F) -> F:
    """Add --db, --api, --token, --as, --json and --lang to a command (and the root group)."""
    options = [
        click.option(
            "--db",
            "db",
            metavar="URL_OR_PATH",
            expose_value=False,
            callback=_store_option("db"),
            help="The store: a path, sqlite:///… or postgresql+psycopg://… [CSTUI_DB]",
        ),
        click.option(
            "--api",
            "api",
            metavar="URL",
            expose_value=False,
            callback=_store_option("api"),
            help="Talk to a `cstui serve` server instead of a store [CSTUI_API]",
        ),
        click.option(
            "--token",
            "token",
            metavar="T",
            expose_value=False,
            callback=_store_option("token"),
            help="The API token for --api [CSTUI_TOKEN]",
        ),
        click.option(
            "--as",
            "agent",
            metavar="NAME",
            expose_value=False,
            callback=_store_option("agent"),
            help="The acting agent on a local store [CSTUI_AGENT]",
        ),
        click.option(
            "--json",
            "json_out",
            is_flag=True,
            default=None,
            expose_value=False,
            callback=_store_option("json"),
            help="Machine-readable output on stdout",
        ),
        click.option(
            "--lang",
            type=click.Choice(["en", "zh"]),
            expose_value=False,
            callback=_store_option("lang"),
            help="Language [CSTUI_LANG]",
        ),
    ]
    f = _text_checked(f)
    for option in reversed(options):
        f = option(f)
    return f


def _text_checked(f: F) -> F:
    """Refuse a parameter that is not valid text (say, an argument that was not UTF-8) with
    BadInput naming it, before the command runs. Paths are left alone: a file name may be
    any bytes."""

    @functools.wraps(f)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for param in click.get_current_context().command.params:
            if isinstance(param.type, click.Path) or param.name is None:
                continue
            value = kwargs.get(param.name)
            for item in value if isinstance(value, tuple | list) else (value,):
                if isinstance(item, str):
                    require_text(item, _label(param))
        return f(*args, **kwargs)

    return checked  # type: ignore[return-value]


def _label(param: click.Parameter) -> str:
    """How the user wrote the parameter: `--text`, or an argument's `QUERY`."""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name


class Id(click.ParamType):
    """A row's id (or version): a whole number the store's integer columns can hold."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= INT_MAX:
            self.fail(f"{value!r}: expected a whole number from 1 to {INT_MAX}", param, ctx)
        return number


ID = Id()


def env_of(ctx: click.Context) -> Env:
    return ctx.find_root().ensure_object(Env)


def parse_when(value: str | None, field_name: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{field_name}: not an ISO date or date-time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def say(text: object = "", *, nl: bool = True) -> None:
    """One piece of human output on stdout, with any control in it made visible."""
    click.echo(inert(str(text)), nl=nl)


def err(message: str) -> None:
    click.echo(f"cstui: {inert(message)}", err=True)


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()
