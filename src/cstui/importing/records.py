"""An export planned as the store's own import records (`cstui.store.transfer`'s lines).

Each new ticket becomes the rows and the event log its life here would have written: the
ticket (its external id and original times), its messages, CREATED, TAKEN by its assignee,
a customer's later messages, replies and notes, RESOLVED and a closing STATUS, and its
satisfaction answer (CSAT). The quality figures are computed from those events, so the
imported history counts in them like any other.

A ticket whose external id the store has already is skipped: importing the same export
again adds nothing. Customers are found by their external id, then by e-mail; agents by
name. Ids are handed out after the store's highest (`Known.next_ids`).

Imported active tickets carry no SLA deadlines: the source's clocks are not ours to guess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cstui.domain import events
from cstui.domain.model import (
    ACTIVE_STATUSES,
    TIER_RANK,
    Category,
    MessageKind,
    ResolutionCode,
    Role,
    Status,
    Tier,
)
from cstui.importing.model import Export, Person, Ticket

NO_DUE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")  # = store.schema.NO_DUE
TIER = Tier.STANDARD


@dataclass
class Known:
    """What the store has already, as far as this export is concerned."""

    tickets: set[str] = field(default_factory=set)  # external ids
    customers: dict[str, int] = field(default_factory=dict)  # external id -> id
    emails: dict[str, int] = field(default_factory=dict)  # e-mail -> customer id
    agents: dict[str, int] = field(default_factory=dict)  # name -> id
    next_ids: dict[str, int] = field(default_factory=dict)  # table -> first free id


def agent_name(person: Person) -> str:
    """A login name for a source agent: their e-mail's local part, else their name."""
    base = person.email.split("@", 1)[0] if person.email else person.name
    name = "-".join(base.split())[:64]
    return name or person.key.replace(":", "-")[:64]


def agent_names(export: Export) -> set[str]:
    return {agent_name(p) for p in export.people.values() if p.agent}


@dataclass
class Plan:
    records: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


class _Planner:
    def __init__(self, export: Export, known: Known) -> None:
        self.export, self.known = export, known
        self.plan = Plan()
        self.ids = dict(known.next_ids)
        self.agents: dict[str, tuple[int, str]] = {}  # person key -> (id, name)
        self.customers: dict[str, int] = {}  # person key -> id
        self.names: dict[str, str] = {}  # person key -> the author written on a message

    def _next(self, table: str) -> int:
        value = self.ids.get(table, 1)
        self.ids[table] = value + 1
        return value

    def _emit(self, record: dict[str, Any]) -> None:
        if record["type"] == "event":  # every id explicit: PostgreSQL takes no NULL id
            record["id"] = self._next("event")
        self.plan.records.append(record)
        self.plan.counts[record["type"]] += 1

    def run(self) -> Plan:
        for ticket in self.export.tickets:
            if ticket.key in self.known.tickets:
                self.plan.counts["skipped"] += 1
                continue
            self.known.tickets.add(ticket.key)  # a key twice in one export: once
            self._ticket(ticket)
        order = {"agent": 0, "customer": 1, "ticket": 2, "message": 3, "event": 4}
        self.plan.records.sort(key=lambda r: order[r["type"]])  # stable: parents first
        return self.plan

    def _person(self, key: str) -> Person:
        found = self.export.people.get(key)
        return found if found is not None else Person(key, key, False)

    def _agent(self, key: str, at: datetime) -> tuple[int, str]:
        if key in self.agents:
            return self.agents[key]
        person = self._person(key)
        name = agent_name(person)
        agent_id = self.known.agents.get(name)
        if agent_id is None:
            agent_id = self.known.agents[name] = self._next("agent")
            created = person.created_at or at
            self._emit(_agent_row(agent_id, name, person.name, created))
            added = events.AgentAdded(agent=name, role=Role.AGENT)
            self._emit(_event(None, None, created, added))
        self.agents[key] = (agent_id, name)
        self.names[key] = name
        return agent_id, name

    def _customer(self, key: str, at: datetime) -> int:
        if key in self.customers:
            return self.customers[key]
        person = self._person(key)
        found = self.known.customers.get(key)
        if found is None and person.email:
            found = self.known.emails.get(person.email)
        if found is None:
            found = self._next("customer")
            self._emit(_customer_row(found, person, at))
            if person.email:
                self.known.emails[person.email] = found
        self.customers[key] = found
        self.names[key] = person.name
        return found

    def _is_agent(self, key: str) -> bool:
        return self._person(key).agent or key in self.agents

    def _ticket(self, t: Ticket) -> None:
        tid = self._next("ticket")
        customer = self._customer(t.requester, t.created_at)
        owner = self._agent(t.assignee, t.created_at) if t.assignee else None
        for c in t.comments:
            if self._is_agent(c.author):
                self._agent(c.author, c.at)
            else:  # a customer other than the requester (a colleague in copy): by name
                self.names.setdefault(c.author, self._person(c.author).name)
        life = _Life(self, t, tid, owner)
        life.run(customer)
        self._emit(life.row(customer))


class _Life:
    """One ticket's rows and events, in the order they happened."""

    def __init__(self, p: _Planner, t: Ticket, tid: int, owner: tuple[int, str] | None) -> None:
        self.p, self.t, self.tid, self.owner = p, t, tid, owner
        self.responded: datetime | None = None
        self.last = t.created_at
        self.taken = False

    def run(self, customer: int) -> None:
        t = self.t
        self.p._emit(
            _event(
                self.tid,
                None,
                t.created_at,
                events.Created(
                    channel=t.channel,
                    category=t.category,
                    priority=t.priority,
                    tier=TIER,
                    customer_id=customer,
                    complaint=t.category is Category.COMPLAINT,
                ),
            )
        )
        if t.category is Category.COMPLAINT:
            self.p._emit(
                _event(self.tid, None, t.created_at, events.Complaint(cause=None, second=False))
            )
        for i, comment in enumerate(t.comments):
            self._comment(i, comment.author, comment.body, comment.public, comment.at)
        self._take(self.last)
        self._finish()

    def _take(self, at: datetime) -> None:
        if self.owner is not None and not self.taken:
            self.taken = True
            name = self.owner[1]
            self.p._emit(_event(self.tid, name, at, events.Taken(owner=name)))

    def _comment(self, i: int, author: str, body: str, public: bool, at: datetime) -> None:
        mid = self.p._next("message")
        agent = self.p._is_agent(author)
        kind = MessageKind.CUSTOMER if not agent else MessageKind.REPLY
        if agent and not public:
            kind = MessageKind.NOTE
        self.p._emit(_message_row(mid, self.tid, kind, self.t, self.p.names[author], body, at))
        self.last = max(self.last, at)
        payload: events.Payload | None = None
        if kind is MessageKind.CUSTOMER:
            if i > 0:  # the first message is the ticket's opening, told by CREATED
                payload = events.CustomerMessage(message_id=mid, channel=self.t.channel)
        else:
            self._take(at)  # the owner took it before answering
            if kind is MessageKind.REPLY:
                self.responded = self.responded or at
                payload = events.Reply(message_id=mid)
            else:
                payload = events.Note(message_id=mid)
        if payload is not None:
            actor = None if kind is MessageKind.CUSTOMER else self.p.names[author]
            self.p._emit(_event(self.tid, actor, at, payload))

    @property
    def resolved_at(self) -> datetime | None:
        if self.t.status not in (Status.RESOLVED, Status.CLOSED):
            return None
        return max(self.t.solved_at or self.last, self.t.created_at)

    def _finish(self) -> None:
        at = self.resolved_at
        if at is None:
            return
        name = self.owner[1] if self.owner else None
        was = Status.OPEN if self.owner else Status.NEW
        resolved = events.Resolved(code=ResolutionCode.SOLVED, owner=name, old_status=was)
        self.p._emit(_event(self.tid, name, at, resolved))
        if self.t.status is Status.CLOSED:
            closed = events.StatusChanged(status=Status.CLOSED, old_status=Status.RESOLVED)
            self.p._emit(_event(self.tid, None, max(at, self.t.updated_at), closed))
        if self.t.csat is not None:
            csat = events.Csat(score=self.t.csat, owner=name)
            self.p._emit(_event(self.tid, None, max(at, self.t.updated_at), csat))

    def row(self, customer: int) -> dict[str, Any]:
        t = self.t
        active = t.status in ACTIVE_STATUSES
        resolved = self.resolved_at
        updated = max(t.updated_at, self.last, resolved or self.last)
        return {
            "type": "ticket",
            "id": self.tid,
            "external_id": t.key,
            "subject": t.subject,
            "status": t.status.value,
            "priority": t.priority.value,
            "channel": t.channel.value,
            "category": t.category.value,
            "customer_id": customer,
            "owner_id": self.owner[0] if self.owner else None,
            "dispatch_count": 1 if self.owner else 0,
            "tier": TIER.value,
            "tier_rank": TIER_RANK[TIER],
            "active": int(active),
            "due_key": NO_DUE,
            "first_responded_at": self.responded,
            "resolution_code": ResolutionCode.SOLVED.value if resolved else None,
            "resolved_at": resolved,
            "created_at": t.created_at,
            "updated_at": updated,
            "last_activity_at": updated,
        }


def _agent_row(agent_id: int, name: str, display: str, at: datetime) -> dict[str, Any]:
    return {
        "type": "agent",
        "id": agent_id,
        "name": name,
        "display_name": display,
        "role": Role.AGENT.value,
        "created_at": at,
    }


def _customer_row(customer_id: int, person: Person, at: datetime) -> dict[str, Any]:
    return {
        "type": "customer",
        "id": customer_id,
        "external_id": person.key,
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "tier": TIER.value,
        "created_at": person.created_at or at,
    }


def _message_row(
    mid: int, tid: int, kind: MessageKind, t: Ticket, author: str, body: str, at: datetime
) -> dict[str, Any]:
    return {
        "type": "message",
        "id": mid,
        "ticket_id": tid,
        "kind": kind.value,
        "channel": t.channel.value,
        "author": author,
        "body": body,
        "created_at": at,
    }


def _event(tid: int | None, actor: str | None, at: datetime, p: events.Payload) -> dict[str, Any]:
    old, new = events.encode(p)
    kind = type(p).KIND.value
    return {
        "type": "event",
        "ticket_id": tid,
        "actor": actor,
        "at": at,
        "kind": kind,
        "old": old,
        "new": new,
    }


def plan(export: Export, known: Known) -> Plan:
    """The records that bring the export's new tickets in, and what they add."""
    return _Planner(export, known).run()


def numbered(records: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """As `import_records` takes them: each with a number for its messages."""
    return enumerate(records, start=1)
