"""`cstui automations run | list | dry-run --at ISO`: rules that act on their own.

`run` sweeps every `[automations] interval_seconds` until Ctrl+C (or SIGTERM); with several
runners or servers on one store only one sweeps at a time. `list` shows each rule, whether
it is on and its threshold. `dry-run` shows what a sweep at a given time would fire, and
writes nothing.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from cstui.cli.context import Env, clock_from_env, env_of, global_options
from cstui.config import rules_from_settings
from cstui.domain.display import inert
from cstui.errors import BadInput

if TYPE_CHECKING:
    from collections.abc import Callable

    from cstui.domain.automations import AutomationPolicy
    from cstui.store.sql import SqlStore


@click.group("automations")
def automations() -> None:
    """Rules that act on their own: run the sweeper, list the rules, dry-run a time."""


def policy_of(env: Env) -> AutomationPolicy:
    from cstui.automation_config import automation_policy

    return automation_policy(env.settings.automations, rules_from_settings(env.settings))


def _store(env: Env) -> SqlStore:
    from cstui.store import open_store

    if env.settings.api:
        raise BadInput("--api: automations run on a store (--db), not through a server")
    return open_store(
        env.db_target, rules=rules_from_settings(env.settings), clock=clock_from_env()
    )


def start_automations(env: Env) -> Callable[[], Callable[[], None]] | None:
    """For a console or monitor on a local store with `[automations] enabled`: what it calls
    after its first paint to sweep in the background while it leads (it gets back the
    function that stops the sweeper). None through a server, whose `cstui serve` sweeps."""
    if env.remote or not env.settings.automations.enabled:
        return None  # (the rules' models are not loaded for a console that does not sweep)
    from cstui.automations.background import start_in_screen

    return start_in_screen(lambda: _store(env), policy_of(env))


@automations.command("list")
@global_options
@click.pass_context
def list_(ctx: click.Context) -> None:
    """The rules in force, with their thresholds."""
    from cstui.domain.automations import thresholds

    policy = policy_of(env_of(ctx))
    state = "enabled" if policy.enabled else "off (cstui serve does not sweep)"
    click.echo(f"automations: {state}; every {policy.interval.total_seconds():g} s")
    for rule, on, words in thresholds(policy):
        click.echo(f"  {'on ' if on else 'off'}  {rule.value:<22} {words}")


@automations.command("dry-run")
@click.option("--at", "at", default=None, help="ISO date-time (default: now, or CSTUI_NOW)")
@global_options
@click.pass_context
def dry_run(ctx: click.Context, at: str | None) -> None:
    """What a sweep at --at would fire; nothing is written."""
    env = env_of(ctx)
    when = _parse_at(at) if at else clock_from_env()()
    store = _store(env)
    try:
        firings = store.due_firings(policy_of(env), at=when)
    finally:
        store.close()
    for f in sorted(firings, key=lambda f: (f.due_at, f.ticket_id, f.rule.value)):
        actions = ", ".join(type(a).__name__ for a in f.actions)
        due = f.due_at.isoformat(timespec="minutes")
        click.echo(f"#{f.ticket_id}\t{f.rule.value}\tdue {due}\t{inert(f.instance)}\t{actions}")
    click.echo(f"{len(firings)} would fire at {when.isoformat(timespec='seconds')}", err=True)


def _parse_at(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--at: not an ISO date-time: {value!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@automations.command("run")
@click.option("--once", is_flag=True, help="Sweep once (if no other process leads) and exit")
@global_options
@click.pass_context
def run(ctx: click.Context, once: bool) -> None:
    """Sweep until Ctrl+C (or SIGTERM): only one process on a store sweeps at a time."""
    import threading

    from cstui.automations.runner import Sweeper
    from cstui.channels.locks import leader_lock
    from cstui.cli.channels import setup_logging, stop_on_signal

    env = env_of(ctx)
    policy = policy_of(env)
    setup_logging()
    store = _store(env)
    sweeper = Sweeper(store, policy, leader_lock(store.engine, "automations"))
    try:
        if once:
            report = sweeper.sweep_once() if sweeper.lock.acquire() else None
            click.echo(
                "another process sweeps"
                if report is None
                else f"{report.fired} fired ({report.found} found due)"
            )
            return
        stop = threading.Event()
        stop_on_signal(stop.set)
        click.echo("cstui automations: running (Ctrl+C stops)", err=True)
        with contextlib.suppress(KeyboardInterrupt):
            sweeper.run(stop)
    finally:
        sweeper.lock.release()
        store.close()
    click.echo(f"cstui automations: stopped ({sweeper.fired} fired)", err=True)
