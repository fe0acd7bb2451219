"""Zendesk's ticket export: `{"tickets": [...], "users": [...]}`.

The shape of the Support API's tickets (and its incremental export) with each ticket's
comments embedded (`comments`, as the account's JSON export has them) or side-loaded at the
top level (`"comments": [{"ticket_id": ..}]`). Read from a ticket: `id`, `subject`,
`status`, `priority`, `via.channel`, `requester_id`, `assignee_id`, `created_at`,
`updated_at`, `solved_at` (or `metric_set.solved_at`), `tags` (a tag naming a category
sets it), `satisfaction_rating.score`; from a comment: `author_id`, `plain_body` (else
`body`), `public`, `created_at`; from a user: `id`, `name`, `email`, `phone`, `role`
(`end-user` is a customer; `agent` and `admin` are the team), `created_at`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cstui.domain.model import Channel, Priority, Status
from cstui.errors import BadInput
from cstui.importing.fields import category_of, maybe_when, text, when
from cstui.importing.model import Comment, Export, Person, Ticket

PREFIX = "zendesk:"
STATUSES = {
    "new": Status.NEW,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.ON_HOLD,
    "solved": Status.RESOLVED,
    "closed": Status.CLOSED,
}
CHANNELS = {
    "email": Channel.EMAIL,
    "chat": Channel.CHAT,
    "native_messaging": Channel.CHAT,
    "voice": Channel.PHONE,
    "phone": Channel.PHONE,
    "twitter": Channel.SOCIAL,
    "facebook": Channel.SOCIAL,
    "instagram_dm": Channel.SOCIAL,
    "whatsapp": Channel.SOCIAL,
    "wechat": Channel.SOCIAL,
    "line": Channel.SOCIAL,
}  # anything else (web, web_form, mobile, api…) came through an app or a site: APP
CSAT = {"good": 5, "bad": 1}  # "offered" and "unoffered" are no answer


def read(path: Path) -> Export:
    try:
        with path.open("rb") as stream:
            data = json.load(stream)
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: not a JSON document ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("tickets"), list):
        raise BadInput(f"{path}: expected an object with a list of tickets")
    return parse(data)


def parse(data: dict[str, Any]) -> Export:
    out = Export()
    for i, user in enumerate(_records(data, "users")):
        person = _person(user, f"users[{i}]")
        out.people[person.key] = person
    loose: dict[Any, list[dict[str, Any]]] = {}
    for comment in _records(data, "comments"):
        loose.setdefault(comment.get("ticket_id"), []).append(comment)
    for i, raw in enumerate(_records(data, "tickets")):
        comments = raw.get("comments") or loose.get(raw.get("id"), [])
        out.tickets.append(_ticket(raw, comments, f"tickets[{i}]"))
    return out


def _records(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    found = data.get(name) or []
    if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
        raise BadInput(f"{name}: expected a list of objects")
    return found


def _key(value: Any, where: str) -> str:
    return PREFIX + text(value, where)


def _person(user: dict[str, Any], where: str) -> Person:
    key = _key(user.get("id"), f"{where}.id")
    email = user.get("email") or None
    return Person(
        key=key,
        name=text(user.get("name"), f"{where}.name", default=email or key),
        agent=user.get("role") in ("agent", "admin"),
        email=email.lower() if isinstance(email, str) else None,
        phone=user.get("phone") or None,
        created_at=maybe_when(user.get("created_at"), f"{where}.created_at"),
    )


def _ticket(raw: dict[str, Any], comments: list[dict[str, Any]], where: str) -> Ticket:
    status = STATUSES.get(str(raw.get("status")))
    if status is None:
        raise BadInput(f"{where}.status: expected one of {', '.join(STATUSES)}")
    via, rating, metric = (_object(raw, k) for k in ("via", "satisfaction_rating", "metric_set"))
    tags = [t for t in raw.get("tags") or [] if isinstance(t, str)]
    assignee = raw.get("assignee_id")
    ticket = Ticket(
        key=_key(raw.get("id"), f"{where}.id"),
        subject=text(raw.get("subject") or raw.get("raw_subject"), f"{where}.subject", default="—"),
        status=status,
        priority=_priority(raw.get("priority"), where),
        channel=CHANNELS.get(str(via.get("channel")), Channel.APP),
        category=category_of(tags),
        requester=_key(raw.get("requester_id"), f"{where}.requester_id"),
        assignee=None if assignee is None else _key(assignee, f"{where}.assignee_id"),
        created_at=when(raw.get("created_at"), f"{where}.created_at"),
        updated_at=when(raw.get("updated_at") or raw.get("created_at"), f"{where}.updated_at"),
        solved_at=maybe_when(raw.get("solved_at") or metric.get("solved_at"), f"{where}.solved_at"),
        csat=CSAT.get(str(rating.get("score"))),
    )
    for j, c in enumerate(comments):
        ticket.comments.append(_comment(c, f"{where}.comments[{j}]"))
    ticket.comments.sort(key=lambda c: c.at)  # stable: equal times keep the export's order
    return ticket


def _object(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    return value if isinstance(value, dict) else {}


def _priority(value: Any, where: str) -> Priority:
    if value in (None, ""):
        return Priority.NORMAL
    if value not in Priority._value2member_map_:
        raise BadInput(f"{where}.priority: expected one of {', '.join(Priority)}")
    return Priority(value)


def _comment(c: dict[str, Any], where: str) -> Comment:
    body = c.get("plain_body")
    if not isinstance(body, str):
        body = c.get("body")
    return Comment(
        author=_key(c.get("author_id"), f"{where}.author_id"),
        body=body if isinstance(body, str) else "",
        public=c.get("public") is not False,
        at=when(c.get("created_at"), f"{where}.created_at"),
    )
