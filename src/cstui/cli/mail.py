"""`cstui mail ingest [FILE…]`: customers' raw mail (single messages or mboxes) from files
or stdin into the store, for an MTA to pipe into.

Each message is parsed (`cstui.mail.parse`) and ingested in its own transaction, and its
line is printed only after that commit: a crash loses nothing that was reported, and
re-running over the same input stores nothing twice (a message's id makes the second copy a
duplicate). `--batch N` commits N messages at a time for bulk loads (a batch that a message
spoils is redone one message at a time). A message the store refuses is reported and the
rest go on; the exit code is then 2.

`--json` prints one document, `{"items": [...]}`, streamed: the opening line, then one
line per message (after the first, led by a comma), then the closing `]}`. A script reads
the whole document; one that must follow a long run (or a killed one) reads item lines.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from cstui.cli.context import Env, clock_from_env, env_of, global_options, say
from cstui.config import rules_from_settings
from cstui.domain.channels import AutoKind
from cstui.domain.threading import Action, Via
from cstui.errors import BadInput, Conflict

if TYPE_CHECKING:
    from cstui.domain.channels import Inbound
    from cstui.store.channels.ingest import Ingested
    from cstui.store.sql import SqlStore

MAX_BATCH = 1000


@click.group("mail")
def mail() -> None:
    """Customers' e-mail: ingest raw messages or mboxes."""


@dataclass
class Tally:
    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    printed: int = 0  # items printed to the --json document


# The contract's actions (what a script matches on) for the threading decisions.
ACTIONS = {
    Action.NEW: "created",
    Action.NEW_LINKED: "created",
    Action.APPEND: "threaded",
    Action.REOPEN: "reopened",
    Action.DUPLICATE: "duplicate",
    Action.BOUNCE: "ignored",
}
# Which lookup found the ticket, as an admin reads it.
FOUND_BY = {
    Via.TAG: "tag",
    Via.REFERENCE: "In-Reply-To",
    Via.CONVERSATION: "conversation",
    Via.SUBJECT: "subject",
    Via.DUPLICATE: "already stored",
    Via.NONE: "new sender or new subject",
}


@mail.command("ingest")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--batch",
    default=1,
    show_default=True,
    type=click.IntRange(1, MAX_BATCH),
    help="Messages committed together (1: each message its own transaction)",
)
@global_options
@click.pass_context
def ingest(ctx: click.Context, files: tuple[str, ...], batch: int) -> None:
    """Store raw messages or mboxes from FILEs (stdin when none or `-`), one line each.

    --json: {"items": [{"message_id", "ticket_id", "action", "reason", …}]}, one item a
    message, each printed after its commit. Exit 2 when any was refused.
    """
    from cstui.store import open_store

    env = env_of(ctx)
    store = open_store(
        env.db_target, rules=rules_from_settings(env.settings), clock=clock_from_env()
    )
    tally = Tally()
    if env.json:
        click.echo('{"items": [')
    try:
        for name in files or ("-",):
            with _opened(name) as stream:
                _ingest_stream(env, store, name, stream, batch, tally)
    finally:
        store.close()
        if env.json:
            click.echo("]}")  # closed on an error too: what was printed stays one document
    if not env.json:
        say(
            f"{tally.seen} messages: {tally.stored} stored, {tally.duplicates} duplicates, "
            f"{tally.refused} refused"
        )
    if tally.refused:
        raise BadInput(f"{tally.refused} of {tally.seen} messages refused")


class _opened:
    """A file, or stdin for `-`, opened for bytes (stdin is left open)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stream: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        if self.name == "-":
            return sys.stdin.buffer
        try:
            self.stream = open(self.name, "rb")
        except OSError as exc:
            raise BadInput(f"{self.name}: {exc.strerror}") from None
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()


def _ingest_stream(
    env: Env, store: SqlStore, name: str, stream: BinaryIO, batch: int, tally: Tally
) -> None:
    from cstui.mail.mbox import iter_messages

    pending: list[tuple[int, Inbound]] = []
    for raw in iter_messages(stream):
        tally.seen += 1
        parsed = _parse(store, raw)
        if isinstance(parsed, str):
            _report(env, name, tally.seen, None, parsed, tally)
            continue
        pending.append((tally.seen, parsed))
        if len(pending) >= batch:
            _commit(env, store, name, pending, tally)
            pending = []
    _commit(env, store, name, pending, tally)


def _parse(store: SqlStore, raw: bytes) -> Inbound | str:
    """The message, or why it cannot be read (the parser keeps hostile mail as data, so
    this is for what is no mail at all)."""
    from cstui.mail.parse import parse_message

    policy = store.rules.channels
    try:
        return parse_message(
            raw,
            tag_prefix=policy.tag_prefix,
            max_attachment_bytes=policy.attachment_max_bytes,
            now=store.clock(),
        )
    except (ValueError, LookupError, UnicodeError, AttributeError, TypeError) as exc:
        return f"unreadable message: {type(exc).__name__}: {exc}"


def _commit(
    env: Env, store: SqlStore, name: str, pending: list[tuple[int, Inbound]], tally: Tally
) -> None:
    """Ingest the pending messages (one transaction when more than one), then report them."""
    if not pending:
        return
    if len(pending) > 1:
        try:
            done = store.ingest_batch(m for _, m in pending)
        except (BadInput, Conflict):
            done = None  # one of them is refused (or raced): each on its own, the rest go in
        if done is not None:
            for (number, message), ingested in zip(pending, done, strict=True):
                _report(env, name, number, message, ingested, tally)
            return
    for number, message in pending:
        result: Ingested | str
        try:
            result = store.ingest_traced(message)
        except BadInput as exc:
            result = str(exc)
        _report(env, name, number, message, result, tally)


def _report(
    env: Env,
    name: str,
    number: int,
    message: Inbound | None,
    result: Ingested | str,
    tally: Tally,
) -> None:
    line = _line(name, number, message, result)
    if isinstance(result, str):
        tally.refused += 1
    elif result.outcome.duplicate:
        tally.duplicates += 1
    else:
        tally.stored += 1
    if env.json:
        lead = "," if tally.printed else ""
        tally.printed += 1
        click.echo(lead + json.dumps(line, ensure_ascii=False))
    else:
        say(_human(line))


def _line(
    name: str, number: int, message: Inbound | None, result: Ingested | str
) -> dict[str, Any]:
    line: dict[str, Any] = {"file": name, "n": number}
    if message is not None:
        line.update(
            message_id=message.external_id,
            sender=message.sender_address,
            subject=message.subject,
            auto=message.auto.value,
            attachments=len(message.attachments),
        )
    if isinstance(result, str):
        return {
            "message_id": None,
            "ticket_id": None,
            **line,
            "action": "ignored",
            "reason": _one_line(result),
            "ok": False,
            "error": result,
        }
    out = result.outcome
    return {
        **line,
        "ticket_id": out.ticket_id,
        "action": ACTIONS[result.decision.action],
        "reason": _reason(message, result),
        "ok": True,
        "decision": result.decision.action.value,
        "via": result.decision.via.value,
        "message_id_stored": out.message_id,
        "created": out.created,
        "reopened": out.reopened,
        "duplicate": out.duplicate,
        "linked_to": out.linked_to,
        "auto_answered": out.auto_answered,
    }


def _reason(message: Inbound | None, result: Ingested) -> str:
    """Why the message went where it went, in a few words."""
    decision, out = result.decision, result.outcome
    if decision.action is Action.BOUNCE:
        bounced = _one_line(message.bounced_id or "")[:255] if message is not None else ""
        return f"bounce of {bounced}" if bounced else "bounce naming no mail"
    if decision.action is Action.DUPLICATE:
        return f"already stored on ticket #{out.ticket_id}"
    reason = FOUND_BY[decision.via]
    if decision.action is Action.NEW_LINKED:
        reason += f" named ticket #{out.linked_to}: a new ticket linked to it"
    elif decision.action is Action.NEW and message is not None and message.references:
        reason = "new: In-Reply-To names no mail of ours"
    if out.customer_by is not None:
        reason += f"; the sender is the customer whose {out.customer_by} the message names"
    if message is not None and message.auto is AutoKind.AUTO_REPLY:
        reason = f"auto-reply ({reason})"
    return reason


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _human(line: dict[str, Any]) -> str:
    where = f"{line['file']}#{line['n']}"
    if not line["ok"]:
        return f"{where}: refused: {line['error']}"
    ticket = f"ticket #{line['ticket_id']}" if line["ticket_id"] else "no ticket"
    via = f" by {line['via']}" if line["via"] not in ("none", "duplicate") else ""
    linked = f" linked to #{line['linked_to']}" if line["linked_to"] else ""
    return (
        f"{where}: {line['decision']}{via} -> {ticket}{linked}: "
        f"{line.get('sender', '')}: {line.get('subject', '')}"
    )
