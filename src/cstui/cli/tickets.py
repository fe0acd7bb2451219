"""`cstui tickets …`: the queue and every ticket action, for scripts and for people."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import tzinfo
from enum import StrEnum
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cstui.cli.context import ID, Env, env_of, err, global_options, say
from cstui.cli.timetext import offset, short, stamp, zone
from cstui.config import rules_from_settings
from cstui.domain import commands as C
from cstui.domain.deadlines import Deadline, DeadlineName, DueState, ticket_deadlines
from cstui.domain.display import inert, inert_spans
from cstui.domain.model import (
    Article,
    Category,
    Department,
    EscalationState,
    MessageKind,
    Priority,
    ResolutionCode,
    Status,
    Ticket,
    TicketHit,
    TicketMatch,
)
from cstui.domain.templates import Filled, fill, ticket_values
from cstui.errors import BadInput, Conflict, CstuiError
from cstui.i18n import label
from cstui.localfiles import read_attachments
from cstui.serialize import (
    escalation_dict,
    message_dict,
    ticket_dict,
    ticket_hit_dict,
    transfer_dict,
)
from cstui.store.base import View
from cstui.store.kb.capture import guess_lang

E = TypeVar("E", bound=StrEnum)
BOLD, UNBOLD = "\x1b[1m", "\x1b[22m"


def choice(enum: type[E], value: str, field: str) -> E:
    """An enum value from user input, or BadInput naming the field and the choices."""
    try:
        return enum(value)
    except ValueError:
        allowed = " ".join(m.value for m in enum)
        raise BadInput(f"{field}: unknown value {value!r} (one of: {allowed})") from None


@click.group("tickets")
@global_options
def tickets() -> None:
    """List, show and work tickets."""


@tickets.command("list")
@click.option(
    "--view",
    "view_name",
    default="all-open",
    show_default=True,
    help="mine unassigned all-open vip green sla-risk escalated follow-up closed",
)
@click.option("--limit", default=50, show_default=True, help="Rows per page (1–500)")
@click.option("--cursor", default=None, help="Continue after this cursor (from next_cursor)")
@click.option("--count", is_flag=True, help="Only count the tickets in the view")
@global_options
@click.pass_context
def list_cmd(
    ctx: click.Context, view_name: str, limit: int, cursor: str | None, count: bool
) -> None:
    """A page of a queue view, most urgent first."""
    env = env_of(ctx)
    view = View.parse(view_name)
    actor = env.settings.agent
    if count:
        n = env.store().count_tickets(view, actor=actor)
        env.emit({"count": n}, lambda: say(n))
        return
    page = env.store().list_tickets(view, actor=actor, limit=limit, cursor=cursor)
    data = {"items": [ticket_dict(t) for t in page.items], "next_cursor": page.next_cursor}
    tz = zone(env.settings.timezone)
    env.emit(data, lambda: _print_queue(page.items, page.next_cursor, tz))


def _print_queue(items: Iterable[Ticket], next_cursor: str | None, tz: tzinfo) -> None:
    table = Table(box=None, header_style="bold")
    for name, width in (
        ("id", 6),
        ("status", 7),
        ("prio", 6),
        ("tier", 15),
        ("owner", 8),
        (f"due ({offset(tz)})", 12),
    ):
        table.add_column(name, no_wrap=True, min_width=width)
    table.add_column("subject", no_wrap=True, overflow="ellipsis", max_width=36)
    for t in items:
        due = t.due.headline()
        green = "🟢 " if t.green_channel else ""
        cells = (
            str(t.id),
            t.status.value,
            t.priority.value,
            label(t.customer.tier),
            t.owner or "—",
            short(due, tz),
            green + t.subject,
        )
        table.add_row(*(Text(inert(cell)) for cell in cells))  # Text: never read as markup
    Console().print(table)
    if next_cursor:
        say(f"next: --cursor {next_cursor}")


@tickets.command("search")
@click.argument("query")
@click.option("--limit", default=50, show_default=True, help="Rows per page (1–500)")
@click.option("--cursor", default=None, help="Continue after this cursor (from next_cursor)")
@global_options
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, cursor: str | None) -> None:
    """Find tickets by id, order or tracking number, phone (or its last 4 digits), customer
    name, subject or thread, 中文 or English, with filters: status: priority: channel:
    category: tier: owner: (a name, me, none) customer: id: created>YYYY-MM-DD.
    E.g. "status:open tier:vip 退款", "退款 OR 退货". Identifier matches first, then
    subject and name, then the thread; newest first within each."""
    env = env_of(ctx)
    page = env.store().search_tickets(query, actor=env.settings.agent, limit=limit, cursor=cursor)
    data = {"items": [ticket_hit_dict(h) for h in page.items], "next_cursor": page.next_cursor}
    env.emit(data, lambda: _print_hits(page.items, page.next_cursor))


def _print_hits(hits: Sequence[TicketHit], next_cursor: str | None) -> None:
    """Each ticket's queue row, then where the words were found, marked in bold."""
    if not hits:
        say("no tickets match")
        return
    for h in hits:
        t = h.ticket
        say(
            f"#{t.id}  {t.status.value:<9} {label(t.customer.tier):<17} "
            f"{t.owner or '—':<10} {t.subject}"
        )
        if h.match is not None:
            # bold on a terminal, [ ] in a pipe (a file keeps no escape codes); the matched
            # text made inert first, so that the only codes written are these
            match = _inert_match(h.match)
            shown = match.marked(BOLD, UNBOLD) if sys.stdout.isatty() else match.marked()
            click.echo(f"    {match.field.value}: {shown}")
    if next_cursor:
        say(f"next: --cursor {next_cursor}")


def _inert_match(match: TicketMatch) -> TicketMatch:
    text, spans = inert_spans(match.text, match.highlights)
    return replace(match, text=text, highlights=spans)


@tickets.command("show")
@click.argument("ticket_id", type=ID)
@global_options
@click.pass_context
def show(ctx: click.Context, ticket_id: int) -> None:
    """One ticket with its thread, deadlines and escalations."""
    env = env_of(ctx)
    ticket = env.store().get_ticket(ticket_id)
    tz = zone(env.settings.timezone)
    env.emit(ticket_dict(ticket, messages=True), lambda: _print_ticket(ticket, tz))


_DUE_NAMES = {
    DeadlineName.GREEN: "green channel (2 h)",
    DeadlineName.FIRST_RESPONSE: "first response",
    DeadlineName.NEXT_RESPONSE: "next response",
    DeadlineName.RESOLUTION: "resolution",
}


def _print_ticket(t: Ticket, tz: tzinfo) -> None:
    say(f"#{t.id} {t.subject}")
    say(
        f"  {t.status.value} · {t.priority.value} · {t.channel.value} · "
        f"{t.category.value} · v{t.version}"
    )
    say(f"  customer: {t.customer.name} ({label(t.customer.tier)})")
    say(f"  owner: {t.owner or '—'} · owners so far: {t.dispatch_count}")
    if t.order:
        say(
            f"  order: {t.order.number} · {t.order.tracking_no or '—'} · "
            f"{t.order.logistics_status or '—'}"
        )
    for d in ticket_deadlines(t):
        say(f"  {_DUE_NAMES[d.name]}: {_due_text(d, tz)}")
    for e in t.escalations:
        say(
            f"  escalation #{e.id} {e.department.value} {e.state.value} "
            f"due {stamp(e.due_at, tz)}{' (green)' if e.green else ''}: {e.reason}"
        )
    for m in t.messages:
        say(f"  [{stamp(m.created_at, tz, '%m-%d %H:%M')}] {m.kind.value} {m.author}: {m.body}")


def _due_text(d: Deadline, tz: tzinfo) -> str:
    if d.state is DueState.DUE:
        return f"due {stamp(d.at, tz)}"
    if d.state is DueState.MET:
        return f"met {stamp(d.at, tz)}"
    return "paused (waiting on the customer)" if d.state is DueState.PAUSED else "—"


@tickets.command("take")
@click.argument("ticket_ids", type=ID, nargs=-1, required=True)
@global_options
@click.pass_context
def take(ctx: click.Context, ticket_ids: tuple[int, ...]) -> None:
    """Take tickets (first-contact ownership); exit 3 if any was refused."""
    env = env_of(ctx)
    actor = env.actor()
    if len(ticket_ids) == 1:
        ticket = env.store().execute(C.Take(ticket_id=ticket_ids[0], actor=actor))
        env.emit(ticket_dict(ticket), lambda: say(f"#{ticket.id} is yours"))
        return

    def one(tid: int) -> str | None:
        return env.store().execute(C.Take(ticket_id=tid, actor=actor)).owner

    _each(env, ticket_ids, "taken", one)


def _each(env: Env, ticket_ids: Sequence[int], done: str, act: Callable[[int], str | None]) -> None:
    """A bulk action: each ticket in its own transaction, through the same rules as one;
    a refusal is reported with its reason (and the owner, when owned) and the rest go on.
    `act` returns the ticket's owner afterwards. Exit 3 when any was refused."""
    results = [_one(tid, act) for tid in dict.fromkeys(ticket_ids)]
    refused = sum(not r["ok"] for r in results)
    summary = {"done": len(results) - refused, "refused": refused}
    env.emit({"results": results, "summary": summary}, lambda: _print_results(results, done))
    if refused:
        raise Conflict(f"{refused} of {len(results)} tickets refused")


def _one(ticket_id: int, act: Callable[[int], str | None]) -> dict[str, Any]:
    try:
        owner = act(ticket_id)
    except CstuiError as exc:
        return {
            "id": ticket_id,
            "ok": False,
            "error": str(exc),
            "owner": getattr(exc, "owner", None),
            "exit_code": exc.exit_code,
        }
    return {"id": ticket_id, "ok": True, "owner": owner}


def _print_results(results: list[dict[str, Any]], done: str) -> None:
    for r in results:
        say(f"#{r['id']}: " + (done if r["ok"] else f"refused: {r['error']}"))
    refused = sum(not r["ok"] for r in results)
    say(f"{len(results) - refused} of {len(results)} {done}, {refused} refused")


@tickets.command("reply")
@click.argument("ticket_id", type=ID)
@click.option("--text", "text", default=None, help="The reply, or what follows the template")
@click.option(
    "--template",
    default=None,
    help="A quick-response template: its name (first tag) or id; filled from the ticket",
)
@click.option(
    "--version",
    "expected_version",
    type=ID,
    default=None,
    help="Refuse if the ticket changed since this version",
)
@click.option(
    "--attach",
    "attach",
    multiple=True,
    metavar="FILE",
    help="Send a file with the reply (repeatable; each within the attachment limit)",
)
@global_options
@click.pass_context
def reply(
    ctx: click.Context,
    ticket_id: int,
    text: str | None,
    template: str | None,
    expected_version: int | None,
    attach: tuple[str, ...],
) -> None:
    """Reply to the customer (as the owner), typed or from a template, with files."""
    if text is None and template is None:
        raise BadInput("--text: give the reply's text, a --template, or both")
    env = env_of(ctx)
    actor = env.actor()
    # Every file is read (and refused) before anything is sent: nothing half-done.
    files = read_attachments(attach, max_bytes=env.settings.channels.attachment_max_bytes)
    used: dict[str, Any] | None = None
    body, missing = text or "", tuple[str, ...]()
    if template is not None:
        article, filled = _from_template(env, ticket_id, template)
        used = {"id": article.id, "title": article.title}
        body, missing = "\n\n".join(p for p in (filled.text, text) if p), filled.missing
    message = env.store().execute(
        C.AddMessage(
            ticket_id=ticket_id,
            actor=actor,
            kind=MessageKind.REPLY,
            text=body,
            expected_version=expected_version,
            attachments=files,
        )
    )
    if missing:
        # `fill` leaves what the ticket cannot answer as written, never an empty gap; the
        # agent is told which ones, to complete them.
        names = ", ".join("{" + name + "}" for name in missing)
        err(f"warning: template {template}: not filled from the ticket: {names}")
    data = {**message_dict(message), "template": used, "missing": list(missing)}
    data["attachments"] = [
        {"filename": f.filename, "content_type": f.content_type, "size": len(f.data)} for f in files
    ]
    with_files = f" with {len(files)} file{'s' if len(files) > 1 else ''}" if files else ""
    env.emit(data, lambda: say(f"#{ticket_id}: reply added{with_files}"))


def _from_template(env: Env, ticket_id: int, name: str) -> tuple[Article, Filled]:
    """The template, in the language the ticket's customer writes, filled from the ticket."""
    store = env.store()
    ticket = store.get_ticket(ticket_id)
    customer = [m.body for m in ticket.messages if m.kind is MessageKind.CUSTOMER]
    article = store.find_template(name, lang=guess_lang("\n".join([ticket.subject, *customer])))
    agent = store.get_agent(env.actor())
    tz = rules_from_settings(env.settings).calendar.tz
    name = agent.display_name or agent.name
    values = ticket_values(ticket, agent_name=name, tz=tz, lang=article.lang.value)
    return article, fill(article.body, values)


@tickets.command("note")
@click.argument("ticket_ids", type=ID, nargs=-1, required=True)
@click.option("--text", "text", required=True, help="The internal note")
@global_options
@click.pass_context
def note(ctx: click.Context, ticket_ids: tuple[int, ...], text: str) -> None:
    """Add an internal note (never shown to the customer); several ids: one note on each."""
    if len(ticket_ids) == 1:
        _message(ctx, ticket_ids[0], text, MessageKind.NOTE, None)
        return
    env = env_of(ctx)
    actor = env.actor()

    def add(tid: int) -> str | None:
        env.store().execute(
            C.AddMessage(ticket_id=tid, actor=actor, kind=MessageKind.NOTE, text=text)
        )
        return None

    _each(env, ticket_ids, "note added", add)


def _message(
    ctx: click.Context, ticket_id: int, text: str, kind: MessageKind, expected_version: int | None
) -> None:
    env = env_of(ctx)
    message = env.store().execute(
        C.AddMessage(
            ticket_id=ticket_id,
            actor=env.actor(),
            kind=kind,
            text=text,
            expected_version=expected_version,
        )
    )
    env.emit(message_dict(message), lambda: say(f"#{ticket_id}: {kind.value} added"))


@tickets.command("escalate")
@click.argument("ticket_ids", type=ID, nargs=-1, required=True)
@click.option(
    "--to",
    "department",
    required=True,
    help="warehouse qc logistics repair tech marketing finance supervisor",
)
@click.option("--reason", required=True)
@click.option("--green", is_flag=True, help="Green channel: a solution within 2 hours")
@global_options
@click.pass_context
def escalate(
    ctx: click.Context, ticket_ids: tuple[int, ...], department: str, reason: str, green: bool
) -> None:
    """Ask a department to act; you stay the owner. Several ids: each one escalated."""
    env = env_of(ctx)
    dept = choice(Department, department, "--to")
    actor = env.actor()

    def escalation(tid: int) -> C.Escalate:
        return C.Escalate(ticket_id=tid, actor=actor, department=dept, reason=reason, green=green)

    if len(ticket_ids) > 1:

        def one(tid: int) -> str | None:
            env.store().execute(escalation(tid))
            return None

        _each(env, ticket_ids, f"escalated to {dept.value}", one)
        return
    ticket_id = ticket_ids[0]
    esc = env.store().execute(escalation(ticket_id))
    env.emit(
        escalation_dict(esc),
        lambda: say(
            f"#{ticket_id}: escalated to {dept.value} (#{esc.id}), due {esc.due_at.isoformat()}"
        ),
    )


@tickets.command("escalation")
@click.argument("escalation_id", type=ID)
@click.option("--state", required=True, help="acknowledged done rejected")
@click.option("--note", default=None)
@global_options
@click.pass_context
def escalation_state(ctx: click.Context, escalation_id: int, state: str, note: str | None) -> None:
    """Move an escalation along: requested → acknowledged → done | rejected."""
    env = env_of(ctx)
    new = choice(EscalationState, state, "--state")
    esc = env.store().execute(
        C.UpdateEscalation(escalation_id=escalation_id, actor=env.actor(), state=new, note=note)
    )
    env.emit(escalation_dict(esc), lambda: say(f"escalation #{esc.id}: {esc.state}"))


@tickets.command("transfer")
@click.argument("ticket_id", type=ID)
@click.option("--to", "to", required=True, help="The agent to hand the ticket to")
@click.option("--reason", required=True)
@global_options
@click.pass_context
def transfer(ctx: click.Context, ticket_id: int, to: str, reason: str) -> None:
    """Hand a ticket over; by default a supervisor approves it first."""
    env = env_of(ctx)
    outcome = env.store().execute(
        C.Transfer(ticket_id=ticket_id, actor=env.actor(), to=to, reason=reason)
    )
    data = {
        "ticket": ticket_dict(outcome.ticket),
        "request": transfer_dict(outcome.request) if outcome.request else None,
    }
    message = (
        f"#{ticket_id}: transfer to {to} waits for a supervisor (request #{outcome.request.id})"
        if outcome.request
        else f"#{ticket_id}: now {to}'s"
    )
    env.emit(data, lambda: say(message))


@tickets.command("transfers")
@global_options
@click.pass_context
def transfers(ctx: click.Context) -> None:
    """Transfers waiting for a supervisor's approval."""
    env = env_of(ctx)
    pending = env.store().pending_transfers()

    def human() -> None:
        for r in pending:
            say(f"#{r.id} ticket {r.ticket_id}: {r.from_owner} → {r.to_agent}: {r.reason}")

    env.emit({"items": [transfer_dict(r) for r in pending]}, human)


@tickets.command("approve")
@click.argument("request_id", type=ID)
@click.option("--deny", is_flag=True, help="Deny instead of approving")
@click.option("--note", default=None)
@global_options
@click.pass_context
def approve(ctx: click.Context, request_id: int, deny: bool, note: str | None) -> None:
    """Approve (or --deny) a transfer request (supervisors)."""
    env = env_of(ctx)
    decided = env.store().execute(
        C.DecideTransfer(request_id=request_id, actor=env.actor(), approve=not deny, note=note)
    )
    env.emit(transfer_dict(decided), lambda: say(f"transfer #{decided.id}: {decided.state}"))


@tickets.command("steal")
@click.argument("ticket_id", type=ID)
@click.option("--reason", required=True)
@global_options
@click.pass_context
def steal(ctx: click.Context, ticket_id: int, reason: str) -> None:
    """Take a ticket from its owner (supervisors; audited)."""
    env = env_of(ctx)
    ticket = env.store().execute(C.Steal(ticket_id=ticket_id, actor=env.actor(), reason=reason))
    env.emit(ticket_dict(ticket), lambda: say(f"#{ticket.id}: now {ticket.owner}'s"))


@tickets.command("merge")
@click.argument("ticket_id", type=ID)
@click.option("--into", "into", type=ID, required=True, help="The ticket that stays")
@global_options
@click.pass_context
def merge(ctx: click.Context, ticket_id: int, into: int) -> None:
    """Merge a duplicate into another ticket of the same customer: its thread moves there,
    it is closed and points to it; the survivor keeps its owner. Exit 3 across customers."""
    env = env_of(ctx)
    survivor = env.store().execute(C.Merge(ticket_id=ticket_id, actor=env.actor(), into=into))
    env.emit(
        ticket_dict(survivor, messages=True),
        lambda: say(
            f"#{ticket_id} merged into #{survivor.id} (owner: {survivor.owner or '—'}, "
            f"{len(survivor.messages)} messages)"
        ),
    )


@tickets.command("link")
@click.argument("ticket_id", type=ID)
@click.argument("other_id", type=ID)
@global_options
@click.pass_context
def link(ctx: click.Context, ticket_id: int, other_id: int) -> None:
    """Link two related tickets (both ways)."""
    env = env_of(ctx)
    ticket = env.store().execute(C.Link(ticket_id=ticket_id, actor=env.actor(), other=other_id))
    links = ", ".join(f"#{i}" for i in ticket.links)
    env.emit(ticket_dict(ticket), lambda: say(f"#{ticket.id} linked: {links}"))


@tickets.command("status")
@click.argument("ticket_ids", type=ID, nargs=-1, required=True)
@click.argument("status")
@global_options
@click.pass_context
def status(ctx: click.Context, ticket_ids: tuple[int, ...], status: str) -> None:
    """Set the status: open, pending (waiting on the customer), on_hold, closed.
    Several ids (`status 1 2 3 pending`): each one, refusals reported."""
    env = env_of(ctx)
    actor, value = env.actor(), choice(Status, status, "status")
    if len(ticket_ids) > 1:

        def act(tid: int) -> str | None:
            return env.store().execute(C.SetStatus(ticket_id=tid, actor=actor, status=value)).owner

        _each(env, ticket_ids, value.value, act)
        return
    ticket = env.store().execute(C.SetStatus(ticket_id=ticket_ids[0], actor=actor, status=value))
    env.emit(ticket_dict(ticket), lambda: say(f"#{ticket.id}: {ticket.status}"))


@tickets.command("priority")
@click.argument("ticket_ids", type=ID, nargs=-1, required=True)
@click.argument("priority")
@global_options
@click.pass_context
def priority(ctx: click.Context, ticket_ids: tuple[int, ...], priority: str) -> None:
    """Set the priority: urgent, high, normal, low (deadlines follow). Several ids: each."""
    env = env_of(ctx)
    actor, value = env.actor(), choice(Priority, priority, "priority")
    if len(ticket_ids) > 1:

        def act(tid: int) -> str | None:
            return (
                env.store().execute(C.SetPriority(ticket_id=tid, actor=actor, priority=value)).owner
            )

        _each(env, ticket_ids, value.value, act)
        return
    ticket = env.store().execute(
        C.SetPriority(ticket_id=ticket_ids[0], actor=actor, priority=value)
    )
    env.emit(ticket_dict(ticket), lambda: say(f"#{ticket.id}: {ticket.priority}"))


@tickets.command("category")
@click.argument("ticket_id", type=ID)
@click.argument("category")
@global_options
@click.pass_context
def category(ctx: click.Context, ticket_id: int, category: str) -> None:
    """File a ticket under another category (a correction of triage, logged)."""
    env = env_of(ctx)
    value = choice(Category, category, "category")
    ticket = env.store().execute(
        C.SetCategory(ticket_id=ticket_id, actor=env.actor(), category=value)
    )
    env.emit(ticket_dict(ticket), lambda: say(f"#{ticket.id}: {ticket.category}"))


@tickets.command("resolve")
@click.argument("ticket_id", type=ID)
@click.option("--code", required=True, help=" ".join(c.value for c in ResolutionCode))
@click.option(
    "--override", is_flag=True, help="Resolve over open escalations (supervisors; audited)"
)
@global_options
@click.pass_context
def resolve(ctx: click.Context, ticket_id: int, code: str, override: bool) -> None:
    """Resolve a ticket; refused while an escalation is open."""
    env = env_of(ctx)
    code_ = choice(ResolutionCode, code, "--code")
    ticket = env.store().execute(
        C.Resolve(ticket_id=ticket_id, actor=env.actor(), code=code_, override=override)
    )
    env.emit(ticket_dict(ticket), lambda: say(f"#{ticket.id}: resolved"))
