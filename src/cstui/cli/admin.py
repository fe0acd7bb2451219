"""Commands that manage the store itself: init, seed, import, export, agents, locate."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cstui import locations
from cstui.cli.context import env_of, err, global_options, say
from cstui.cli.progress import bar, phase
from cstui.config import rules_from_settings
from cstui.domain.inputs import INT_MAX
from cstui.domain.model import Role, Shift
from cstui.errors import BadInput, Unavailable
from cstui.serialize import agent_dict
from cstui.store.engine import display_url, normalise_url, told_whole

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore


@click.command("init")
@global_options
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create an empty store, or migrate one to the current schema."""
    from cstui.store import init_store

    env = env_of(ctx)
    store = init_store(env.db_target, rules=rules_from_settings(env.settings))
    store.close()
    where = display_url(normalise_url(env.db_target))
    env.emit({"store": where, "ok": True}, lambda: click.echo(f"store ready: {where}"))


WRITE_WEIGHT = 10


@click.command("seed")
@click.option(
    "--tickets", "n_tickets", default=5000, show_default=True, type=click.IntRange(0, INT_MAX)
)
@click.option(
    "--customers",
    "n_customers",
    default=None,
    type=click.IntRange(1, INT_MAX),
    help="Default: a third of the tickets",
)
@click.option(
    "--kb",
    "n_articles",
    default=None,
    type=click.IntRange(0, INT_MAX),
    help="Knowledge-base articles. Default: the hand-written ones (~390); more are generated",
)
@click.option("--seed", "seed", default=0, show_default=True, help="Random seed")
@global_options
@click.pass_context
def seed(
    ctx: click.Context,
    n_tickets: int,
    n_customers: int | None,
    n_articles: int | None,
    seed: int,
) -> None:
    """Build a deterministic world of that size into an empty store."""
    env = env_of(ctx)
    # Each ticket is planned, then built and written: the second step costs about ten
    # times the first (measured), so the ETA is right from the planning on.
    units = n_tickets * (1 + WRITE_WEIGHT)
    with bar(f"seeding {n_tickets} tickets", enabled=not env.json) as advance:
        advance(0, units)  # the bar from the first second, before the store is made
        counts = _seed(env, advance, units, n_tickets, n_customers, n_articles, seed)
    env.emit(
        counts,
        lambda: click.echo(
            "seeded: " + ", ".join(f"{v} {k}" for k, v in counts.items()), err=False
        ),
    )


def _seed(
    env: Any,
    advance: Any,
    units: int,
    n_tickets: int,
    n_customers: int | None,
    n_articles: int | None,
    seed: int,
) -> dict[str, int]:
    from cstui.demo.knowledge import load_knowledge
    from cstui.demo.seed import seed_store
    from cstui.store.fresh import fresh_store

    with fresh_store(env.db_target, rules=rules_from_settings(env.settings)) as store:
        counts = seed_store(
            store,
            tickets=n_tickets,
            customers=n_customers,
            seed=seed,
            planning=phase(advance, 0, units),
            progress=phase(advance, n_tickets, units, WRITE_WEIGHT),
        )
        counts["articles"] = load_knowledge(store, n_articles, seed=seed)
        store.optimize()
    return counts


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@global_options
@click.pass_context
def export(ctx: click.Context, file: str) -> None:
    """Write the whole store as JSON Lines (`-` for stdout)."""
    env = env_of(ctx)
    with bar("exporting records", enabled=not env.json) as advance:
        advance(0, 0)
        _export(env, file, _counted(env.store().export_records(), advance))


def _counted(records: Iterator[dict[str, Any]], advance: Any) -> Iterator[dict[str, Any]]:
    for n, record in enumerate(records, start=1):
        if n % 5000 == 0:
            advance(n, 0)
        yield record


def _export(env: Any, file: str, records: Iterator[dict[str, Any]]) -> None:
    if file == "-":
        _write_lines(sys.stdout, records)
        return
    n = _write_atomically(Path(file), records)
    env.emit({"records": n, "file": file}, lambda: click.echo(f"exported {n} records"))


def _write_lines(stream: Any, records: Iterator[dict[str, Any]]) -> int:
    n = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        n += 1
    return n


def _write_atomically(path: Path, records: Iterator[dict[str, Any]]) -> int:
    """A partial export never replaces a good file: write beside it, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            n = _write_lines(stream, records)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--from",
    "source",
    type=click.Choice(["jsonl", "zendesk", "csv"]),
    default="jsonl",
    show_default=True,
    help="The file's format: cstui's JSON Lines, a Zendesk export, or a CSV of messages",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=HEADER",
    help="--from csv: the header that holds FIELD (repeatable)",
)
@click.option("--dry-run", is_flag=True, help="Check everything, report what would be added")
@global_options
@click.pass_context
def import_(
    ctx: click.Context, file: str, source: str, columns: tuple[str, ...], dry_run: bool
) -> None:
    """Load JSON Lines, or another helpdesk's export, into the store: all of it, or (on any
    bad line) nothing. An export's tickets already imported (by their id there) are skipped."""
    from cstui.store import init_store

    env = env_of(ctx)
    if source != "jsonl":
        from cstui.cli.foreign import read_export

        export = read_export(source, file, columns)  # read and checked before the store
        records: list[tuple[int, dict[str, Any]]] = []
    else:
        if columns:
            raise BadInput("--column: only with --from csv")
        records = _checked_lines(file)
    where = f"store {display_url(normalise_url(env.db_target))}"
    store = init_store(env.db_target, rules=rules_from_settings(env.settings))
    try:
        with told_whole(where, "nothing was imported"):  # one transaction: all or nothing
            if source != "jsonl":
                from cstui.cli import foreign

                counts = foreign.run(store, export, dry_run=dry_run, show=not env.json)
            elif dry_run:
                counts = dict(Counter(record["type"] for _, record in records))
            else:
                counts = store.import_records(records)
        if not dry_run:
            _refresh_statistics(store, where)
    finally:
        store.close()
    verb = "would import" if dry_run else "imported"
    data = {**counts, "dry_run": True} if dry_run else counts
    env.emit(
        data,
        lambda: click.echo(
            f"{verb}: " + (", ".join(f"{v} {k}" for k, v in counts.items()) or "nothing")
        ),
    )


def _checked_lines(file: str) -> list[tuple[int, dict[str, Any]]]:
    from cstui.store.transfer import parse_line, validate

    records = list(_read_records(file, parse_line))
    for number, record in records:
        validate(number, record)  # every line is checked before the store is touched
    return records


def _refresh_statistics(store: SqlStore, where: str) -> None:
    """After a bulk load: a full disk here loses only the planner's statistics, so a
    warning, not a failure (the rows are in)."""
    try:
        with told_whole(where, "the planner's statistics were not refreshed"):
            store.optimize()
    except Unavailable as exc:
        err(f"warning: {exc}")


def _read_records(file: str, parse: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    except OSError as exc:
        raise BadInput(f"{file}: {exc.strerror}") from None
    name = "stdin" if file == "-" else file
    with stream:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                where = f"byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}"
                raise BadInput(f"{name}: line {number}: not UTF-8 text ({where})") from None
            if line.strip():
                yield parse(number, line)


@click.group("agents")
@global_options
def agents() -> None:
    """Add agents, list them, issue API tokens."""


@agents.command("add")
@click.argument("name")
@click.option("--role", default="agent", show_default=True, help="agent supervisor admin")
@click.option("--shift", default=None, help="morning evening night")
@click.option("--display-name", default=None)
@global_options
@click.pass_context
def agents_add(
    ctx: click.Context, name: str, role: str, shift: str | None, display_name: str | None
) -> None:
    """Add an agent."""
    from cstui.cli.tickets import choice

    env = env_of(ctx)
    agent = env.store().add_agent(
        name,
        choice(Role, role, "--role"),
        choice(Shift, shift, "--shift") if shift else None,
        display_name,
    )
    env.emit(agent_dict(agent), lambda: say(f"agent {agent.name} ({agent.role}) added"))


@agents.command("list")
@global_options
@click.pass_context
def agents_list(ctx: click.Context) -> None:
    """Every agent with role and shift."""
    env = env_of(ctx)
    found = env.store().list_agents()

    def human() -> None:
        for a in found:
            say(f"{a.name:<16} {a.role.value:<10} {a.shift.value if a.shift else '—'}")

    env.emit({"items": [agent_dict(a) for a in found]}, human)


@agents.command("token")
@click.argument("name")
@global_options
@click.pass_context
def agents_token(ctx: click.Context, name: str) -> None:
    """Issue a new API token for the agent (shown once; only its hash is kept)."""
    env = env_of(ctx)
    token = env.store().issue_token(name)
    env.emit({"token": token}, lambda: click.echo(token))


@click.command("locate")
@click.argument("what", type=click.Choice(["config", "data", "db"]))
@global_options
@click.pass_context
def locate(ctx: click.Context, what: str) -> None:
    """Print where cstui keeps its config file, its data, or the store."""
    env = env_of(ctx)
    if what == "config":
        path = str(locations.config_file())
    elif what == "data":
        path = str(locations.data_dir())
    else:
        path = display_url(normalise_url(env.db_target))
    env.emit({what: path}, lambda: click.echo(path))
