"""`cstui notifications [--unread] | read ID … | read --all`: the acting agent's feed.

What the automations told the agent (a green ticket's warning, a breach, a department's
answer), newest first, on a store (`--as`) or through a server (the token decides whose
feed it is). `read` marks entries read, as opening them in the console does.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import click

from cstui.cli.context import ID, Env, env_of, global_options, say
from cstui.config import rules_from_settings
from cstui.domain.automations import Notification, Urgency
from cstui.errors import BadInput
from cstui.notice_text import notice_text

MAX_LIMIT = 500  # the store's and the API's page
ALL_ROUNDS = 1000  # `read --all` marks a page at a time: at most this many pages


@click.group("notifications", invoke_without_command=True)
@click.option("--unread", is_flag=True, help="Only the unread ones")
@click.option("--limit", default=50, show_default=True, help=f"Entries (1–{MAX_LIMIT})")
@global_options
@click.pass_context
def notifications(ctx: click.Context, unread: bool, limit: int) -> None:
    """Your notifications, newest first: what the automations told you."""
    if ctx.invoked_subcommand is not None:
        return
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"--limit: expected 1 to {MAX_LIMIT}, got {limit}")
    env = env_of(ctx)
    actor = env.actor()
    found = env.store().notifications(actor=actor, unread_only=unread, limit=limit)
    env.emit({"items": [notification_dict(n) for n in found]}, lambda: _print(found, _tz(env)))


def notification_dict(n: Notification) -> dict[str, Any]:
    """CONTRACT.md's fields (id, kind, ticket_id, at, read), then the rest of the entry."""
    return {
        "id": n.id,
        "kind": n.rule,
        "ticket_id": n.ticket_id,
        "at": n.created_at.isoformat(),
        "read": n.read_at is not None,
        "urgency": n.urgency.value,
        "text": notice_text(n),
        "read_at": None if n.read_at is None else n.read_at.isoformat(),
    }


def _tz(env: Env) -> tzinfo:
    return rules_from_settings(env.settings).calendar.tz


def _print(found: list[Notification], tz: tzinfo) -> None:
    if not found:
        say("no notifications")
        return
    for n in found:
        mark = "*" if n.read_at is None else " "
        when = n.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        urgent = " !" if n.urgency is Urgency.URGENT else "  "
        say(f"{mark} {n.id:>6}  {when}{urgent} {notice_text(n)}")
    unread = sum(1 for n in found if n.read_at is None)
    say(f"{unread} unread of {len(found)} shown")


@notifications.command("read")
@click.argument("ids", nargs=-1, type=ID)
@click.option("--all", "all_", is_flag=True, help="Every unread notification")
@global_options
@click.pass_context
def read(ctx: click.Context, ids: tuple[int, ...], all_: bool) -> None:
    """Mark notifications read: their IDs, or --all."""
    if bool(ids) == all_:
        raise BadInput("read: give notification IDs or --all (not both)")
    env = env_of(ctx)
    actor = env.actor()
    store = env.store()
    if all_:
        marked = 0
        for _ in range(ALL_ROUNDS):
            page = store.notifications(actor=actor, unread_only=True, limit=MAX_LIMIT)
            done = store.mark_read(actor=actor, ids=[n.id for n in page]) if page else 0
            marked += done
            if done == 0 or len(page) < MAX_LIMIT:
                break
    else:
        marked = store.mark_read(actor=actor, ids=ids)
    env.emit({"marked": marked}, lambda: say(f"{marked} marked read"))
