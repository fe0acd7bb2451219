"""A spreadsheet's tickets: CSV, one row per message, rows of a ticket sharing its id.

The columns (named by the header row; `--column FIELD=HEADER` maps another name):

- `ticket_id` (required): the ticket's id in the sheet, kept as its external id `csv:<id>`;
- `created_at` (required), `updated_at`, `solved_at`: ISO date-times (UTC when no offset);
- `subject`, `status` (new open pending on_hold resolved closed; Zendesk's hold and solved
  too), `priority`, `channel`, `category` (cstui's words), `csat` (1–5);
- `customer_name`, `customer_email`, `customer_phone`: who asked;
- `agent`: the agent who owns the ticket (a cstui agent name; added when new);
- `from` (customer, agent or note), `author` (the agent, for agent and note),
  `body`, `at` (when it was written; default `created_at`): the message of the row.

Ticket fields are read from a ticket's first row; a row with an empty `body` adds no message.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cstui.domain.model import Category, Channel, Priority, Status
from cstui.errors import BadInput
from cstui.importing.fields import maybe_when, text, when
from cstui.importing.model import Comment, Export, Person, Ticket

FIELDS = (
    "ticket_id",
    "subject",
    "status",
    "priority",
    "channel",
    "category",
    "created_at",
    "updated_at",
    "solved_at",
    "csat",
    "customer_name",
    "customer_email",
    "customer_phone",
    "agent",
    "from",
    "author",
    "body",
    "at",
)
STATUS_WORDS = {**{s.value: s for s in Status}, "hold": Status.ON_HOLD, "solved": Status.RESOLVED}
AGENT_PREFIX = "csv-agent:"


def mapping_of(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--column FIELD=HEADER` options as {field: header}."""
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, header = pair.partition("=")
        if not sep or name not in FIELDS or not header:
            raise BadInput(f"--column: expected FIELD=HEADER with FIELD one of {', '.join(FIELDS)}")
        found[name] = header
    return found


def read(path: Path, mapping: Mapping[str, str] | None = None) -> Export:
    headers = {f: (mapping or {}).get(f, f) for f in FIELDS}
    out = Export()
    by_key: dict[str, Ticket] = {}
    for line, row in _rows(path):
        get = {f: (row.get(h) or "").strip() for f, h in headers.items()}
        where = f"{path.name}: line {line}"
        key = "csv:" + text(get["ticket_id"], f"{where}: ticket_id")
        ticket = by_key.get(key)
        if ticket is None:
            ticket = by_key[key] = _ticket(key, get, out, where)
            out.tickets.append(ticket)
        if get["body"]:
            ticket.comments.append(_comment(get, ticket, out, where))
    for ticket in out.tickets:
        ticket.comments.sort(key=lambda c: c.at)
    return out


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        stream = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror}") from None
    with stream:
        reader = csv.DictReader(stream)
        try:
            for row in reader:
                yield reader.line_num, row
        except (csv.Error, UnicodeDecodeError) as exc:
            raise BadInput(f"{path.name}: line {reader.line_num}: {exc}") from None


def _word(words: Mapping[str, Any], value: str, default: Any, where: str) -> Any:
    if not value:
        return default
    found = words.get(value.lower())
    if found is None:
        raise BadInput(f"{where}: {value!r} is not one of {', '.join(words)}")
    return found


def _ticket(key: str, get: dict[str, str], out: Export, where: str) -> Ticket:
    customer = _customer(get, out, where)
    created = when(get["created_at"], f"{where}: created_at")
    agent = get["agent"]
    if agent:
        _agent(agent, out)
    return Ticket(
        key=key,
        subject=get["subject"] or "—",
        status=_word(STATUS_WORDS, get["status"], Status.NEW, f"{where}: status"),
        priority=_word(
            Priority._value2member_map_, get["priority"], Priority.NORMAL, f"{where}: priority"
        ),
        channel=_word(
            Channel._value2member_map_, get["channel"], Channel.EMAIL, f"{where}: channel"
        ),
        category=_word(
            Category._value2member_map_, get["category"], Category.PRODUCT, f"{where}: category"
        ),
        requester=customer,
        assignee=AGENT_PREFIX + agent if agent else None,
        created_at=created,
        updated_at=maybe_when(get["updated_at"], f"{where}: updated_at") or created,
        solved_at=maybe_when(get["solved_at"], f"{where}: solved_at"),
        csat=_csat(get["csat"], where),
    )


def _csat(value: str, where: str) -> int | None:
    if not value:
        return None
    if value not in ("1", "2", "3", "4", "5"):
        raise BadInput(f"{where}: csat: expected 1 to 5")
    return int(value)


def _customer(get: dict[str, str], out: Export, where: str) -> str:
    email = get["customer_email"].lower() or None
    ident = email or get["customer_phone"] or get["customer_name"]
    if not ident:
        raise BadInput(f"{where}: customer_name, customer_email or customer_phone: required")
    key = "csv:" + ident
    if key not in out.people:
        name = get["customer_name"] or ident
        out.people[key] = Person(key, name, False, email, get["customer_phone"] or None)
    return key


def _agent(name: str, out: Export) -> str:
    key = AGENT_PREFIX + name
    out.people.setdefault(key, Person(key, name, True))
    return key


def _comment(get: dict[str, str], ticket: Ticket, out: Export, where: str) -> Comment:
    said_by = get["from"].lower() or "customer"
    if said_by not in ("customer", "agent", "note"):
        raise BadInput(f"{where}: from: expected customer, agent or note")
    author = ticket.requester
    if said_by != "customer":
        name = get["author"] or get["agent"]
        if not name:
            raise BadInput(f"{where}: author: required for a message from an agent")
        author = _agent(name, out)
    at = maybe_when(get["at"], f"{where}: at") or ticket.created_at
    return Comment(author=author, body=get["body"], public=said_by != "note", at=at)
