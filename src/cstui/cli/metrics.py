"""`cstui metrics`: the team's quality figures; `cstui metrics rebuild`: their sums again."""

from __future__ import annotations

from typing import Any

import click

from cstui.cli.context import env_of, global_options, parse_when
from cstui.errors import BadInput


@click.group("metrics", invoke_without_command=True)
@click.option("--since", default=None, help="ISO date or date-time (inclusive)")
@click.option("--until", default=None, help="ISO date or date-time (exclusive)")
@click.option("--by-agent", is_flag=True, help="Also per agent")
@global_options
@click.pass_context
def metrics(ctx: click.Context, since: str | None, until: str | None, by_agent: bool) -> None:
    """The team's quality figures over [--since, --until), from the sums kept with the log."""
    if ctx.invoked_subcommand is not None:
        return
    from cstui.domain import metrics as m

    env = env_of(ctx)
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    if start and end and end <= start:
        raise BadInput("--until: must be after --since")
    found = env.store().quality(since=start, until=end)
    data: dict[str, Any] = {"team": m.as_dict(found.team)}
    if by_agent:
        data["agents"] = {k: m.as_dict(v) for k, v in sorted(found.agents.items())}
    env.emit(data, lambda: _print_metrics(data["team"], m))


@metrics.command("rebuild")
@global_options
@click.pass_context
def rebuild(ctx: click.Context) -> None:
    """Make the figures' sums again from the event log alone (on the store, not --api)."""
    from cstui.store.sql import SqlStore

    env = env_of(ctx)
    if env.remote:
        raise BadInput("metrics rebuild: run it on the store itself (--db), not through --api")
    store = env.store()
    assert isinstance(store, SqlStore)  # not remote: the SQL store
    made = store.rebuild_figures()
    env.emit(
        made,
        lambda: click.echo("rebuilt: " + ", ".join(f"{v} {k}" for k, v in made.items())),
    )


def _print_metrics(figures: dict[str, Any], m: Any) -> None:
    for name, value in figures.items():
        target = m.TARGETS.get(name)
        mark = ""
        if target is not None and value is not None:
            ok = value >= target.value if target.higher_is_better else value <= target.value
            mark = ("  ✓" if ok else "  ✗") + f" (target {target.value})"
        click.echo(f"{name:<32} {'—' if value is None else value}{mark}")
