"""The neutral shape every reader produces: people, tickets and their messages, as the
source system had them (its ids, its times)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cstui.domain.model import Category, Channel, Priority, Status


@dataclass(frozen=True, slots=True)
class Person:
    """A user of the source system: an agent of the team, or a customer."""

    key: str  # the source's id, e.g. "zendesk:123"
    name: str
    agent: bool
    email: str | None = None
    phone: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    author: str  # a Person's key
    body: str
    public: bool
    at: datetime


@dataclass(slots=True)
class Ticket:
    key: str  # the source's id, kept as the ticket's external id
    subject: str
    status: Status
    priority: Priority
    channel: Channel
    category: Category
    requester: str  # a Person's key
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    solved_at: datetime | None = None
    csat: int | None = None  # 1..5
    comments: list[Comment] = field(default_factory=list)


@dataclass(slots=True)
class Export:
    people: dict[str, Person] = field(default_factory=dict)
    tickets: list[Ticket] = field(default_factory=list)
