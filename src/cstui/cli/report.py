"""`cstui report`: the team's quality figures for a day, week or month, against targets."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

import click

from cstui.cli.context import clock_from_env, env_of, global_options, say, stdout_is_tty
from cstui.config import goals_from_settings
from cstui.errors import BadInput

if TYPE_CHECKING:
    from cstui.domain.metrics import Period


@click.command("report")
@click.option(
    "--period",
    type=click.Choice(["day", "week", "month"]),
    default="day",
    show_default=True,
    help="Which period to report",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "csv"]),
    default="md",
    show_default=True,
    help="Markdown, a standalone HTML page, or CSV (raw numbers); --json wins",
)
@click.option("--at", "at", default=None, help="A date in the period (default: today)")
@global_options
@click.pass_context
def report(ctx: click.Context, period: str, fmt: str, at: str | None) -> None:
    """The period's figures against the team's targets, with the change on the last period."""
    from cstui import reporting
    from cstui.domain.report import assemble
    from cstui.i18n import set_language

    env = env_of(ctx)
    set_language(env.settings.lang)
    tz = ZoneInfo(env.settings.timezone)
    store = env.store()
    result = assemble(
        lambda w: store.quality(since=w.since, until=w.until).team,
        at=_moment(at, tz),
        period=cast("Period", period),  # click has checked it is one of PERIODS
        tz=tz,
        goals=goals_from_settings(env.settings),
    )
    env.emit(reporting.as_json(result), lambda: _print(reporting.render(result, fmt), fmt))


def _print(text: str, fmt: str) -> None:
    """Markdown is read on a terminal, and CSV may be: made inert there. HTML is escaped
    already, and CSV into a file or a pipe stays the exact data."""
    if fmt == "md" or (fmt == "csv" and stdout_is_tty()):
        say(text, nl=False)
    else:
        click.echo(text, nl=False)


def _moment(at: str | None, tz: tzinfo) -> datetime:
    """`--at` as an instant: a date means that day in the team's time zone; else now."""
    if at is None:
        return clock_from_env()()
    try:
        if len(at) == 10:
            return datetime.combine(date.fromisoformat(at), time(12), tzinfo=tz)
        when = datetime.fromisoformat(at)
    except ValueError:
        raise BadInput(f"--at: not an ISO date or date-time: {at!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=tz)
