"""One transaction of the SQL store: its connection, its clock and its rules.

Each aggregate module (`tickets`, `messages`, `escalations`, `handover`, …) is a set of
functions `fn(tx, *, …)`; `SqlStore` opens the transaction, hands it a `Tx` and commits.
What several aggregates share lives here: the acting agent, the ticket locked for a change
and the rights check on it, the versioned update of a ticket row, the event appended to
the log. The rules themselves are the domain's (`cstui.domain`); a `Tx` applies what they
return.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.engine import Connection, RowMapping

from cstui.domain import events, rights
from cstui.domain.metrics import FIGURE_KINDS
from cstui.domain.model import Event, EventKind, Message, MessageFile, Role
from cstui.domain.rules import Rules
from cstui.errors import NotFound, StaleVersion
from cstui.store import figures
from cstui.store import rows as R
from cstui.store.schema import AGENTS, CUSTOMERS, EVENTS, TICKETS

if TYPE_CHECKING:
    from cstui.assist.ranking import AnswerIndex

Clock = Callable[[], datetime]


class Held(NamedTuple):
    """A ticket locked for a change, with the acting agent's role and the ticket's owner."""

    row: RowMapping
    role: Role
    owner: str | None


class Tx:
    """The store inside one transaction (read or write): what every aggregate works with."""

    __slots__ = ("answers", "clock", "conn", "rules")

    def __init__(self, conn: Connection, rules: Rules, clock: Clock) -> None:
        self.conn = conn
        self.rules = rules
        self.clock = clock
        # The suggestion index, set for a customer's words arriving while `[assist]` answers
        # some on its own (`store/auto_answer.py`); built before the transaction begins.
        self.answers: AnswerIndex | None = None

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    # -- rows every aggregate reads ---------------------------------------------------------

    def agent(self, name: str) -> RowMapping:
        m = self.conn.execute(select(AGENTS).where(AGENTS.c.name == name)).mappings().first()
        if m is None:
            raise NotFound(f"agent {name}: no such agent (add one with `cstui agents add`)")
        return m

    def role(self, name: str) -> Role:
        """The acting agent's role (an unknown agent is NotFound)."""
        return Role(self.agent(name)["role"])

    def customer(self, customer_id: int) -> RowMapping:
        q = select(CUSTOMERS).where(CUSTOMERS.c.id == customer_id)
        m = self.conn.execute(q).mappings().first()
        if m is None:
            raise NotFound(f"customer {customer_id}: no such customer")
        return m

    def owner_name(self, owner_id: int | None) -> str | None:
        if owner_id is None:
            return None
        return self.conn.execute(select(AGENTS.c.name).where(AGENTS.c.id == owner_id)).scalar()

    def messages(self, ticket_id: int) -> list[Message]:
        """The thread, oldest first, each reply with its delivery and each message with its
        files: three queries, however long the thread."""
        q = text(
            f"SELECT {R.MESSAGE_COLUMNS} FROM messages WHERE ticket_id = :t ORDER BY created_at, id"
        )
        params = {"t": ticket_id}
        found = self.conn.execute(q, params).all()
        if not found:
            return []
        deliveries = {  # a reply has one delivery; were there more, the newest tells
            r[0]: R.message_delivery_from_row(r)
            for r in self.conn.execute(text(R.THREAD_DELIVERIES), params)
        }
        files: dict[int, list[MessageFile]] = {}
        for r in self.conn.execute(text(R.THREAD_FILES), params):
            files.setdefault(r[0], []).append(R.message_file_from_row(r))
        return [
            R.message_from_row(r, deliveries.get(r[0]), tuple(files.get(r[0], ()))) for r in found
        ]

    def with_parts(self, message: Message) -> Message:
        """`message` with its delivery and files, as the thread carries them."""
        params = {"m": message.id}
        row = self.conn.execute(text(R.MESSAGE_DELIVERY), params).first()
        files = self.conn.execute(text(R.MESSAGE_FILES), params)
        return replace(
            message,
            delivery=None if row is None else R.message_delivery_from_row(row),
            attachments=tuple(R.message_file_from_row(r) for r in files),
        )

    # -- a ticket's change ------------------------------------------------------------------

    def locked_ticket(self, ticket_id: int) -> RowMapping:
        """The ticket row, locked for this transaction (FOR UPDATE; SQLite's write lock)."""
        q = select(TICKETS).where(TICKETS.c.id == ticket_id).with_for_update()
        m = self.conn.execute(q).mappings().first()
        if m is None:
            raise NotFound(f"ticket {ticket_id}: no such ticket")
        return m

    def ticket_for(self, ticket_id: int, *, actor: str, right: rights.Right) -> Held:
        """Lock a ticket for a change that `right` allows `actor` (`rights.check`)."""
        role = self.role(actor)
        row = self.locked_ticket(ticket_id)
        owner = self.owner_name(row["owner_id"])
        rights.check(right, actor=actor, role=role, owner=owner)
        return Held(row, role, owner)

    def change(
        self,
        row: RowMapping,
        values: Mapping[str, Any],
        *,
        at: datetime,
        expected_version: int | None = None,
    ) -> None:
        """Update the ticket if its version is still the one read (optimistic concurrency)."""
        if expected_version is not None and expected_version != row["version"]:
            raise StaleVersion(
                f"ticket {row['id']} changed (version {row['version']}, "
                f"you had {expected_version}): reload it"
            )
        result = self.conn.execute(
            update(TICKETS)
            .where(TICKETS.c.id == row["id"], TICKETS.c.version == row["version"])
            .values(**values, version=row["version"] + 1, updated_at=at)
        )
        if result.rowcount != 1:
            raise StaleVersion(f"ticket {row['id']} changed meanwhile: reload it")

    # -- writing ----------------------------------------------------------------------------

    def insert(self, table: Table, values: Mapping[str, Any]) -> int:
        """Insert one row; its new id."""
        key = self.conn.execute(insert(table).values(**values)).inserted_primary_key
        assert key is not None  # every table inserted this way has an id
        return int(key[0])

    def event(
        self,
        kind: EventKind | events.Payload,
        *,
        ticket_id: int | None,
        actor: str | None,
        at: datetime,
        old: Mapping[str, Any] | None = None,
        new: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one event, given as its payload or as a kind and two objects that must fit
        the kind's payload class (`domain.events`): the log holds only what decodes."""
        logged, old_text, new_text = events.columns(kind, old, new)
        key = self.conn.execute(
            insert(EVENTS),
            {
                "ticket_id": ticket_id,
                "actor": actor,
                "at": at,
                "kind": logged.value,
                "old": old_text,
                "new": new_text,
            },
        ).inserted_primary_key
        if ticket_id is not None and logged in FIGURE_KINDS:  # the figures move with the log
            assert key is not None
            figures.note_event(
                self.conn,
                Event(
                    id=int(key[0]),
                    ticket_id=ticket_id,
                    actor=actor,
                    at=at,
                    kind=logged,
                    old=json.loads(old_text) if old_text else None,
                    new=json.loads(new_text) if new_text else None,
                ),
            )

    def payload_events(
        self, logged: list[tuple[events.Payload, int]], *, actor: str, at: datetime
    ) -> None:
        """Append one event per (payload, ticket) in one statement: a batch of firings logs
        in one round trip. A kind the figures follow goes through `event`, one at a time."""
        rows = []
        for payload, ticket_id in logged:
            if payload.KIND in FIGURE_KINDS:
                self.event(payload, ticket_id=ticket_id, actor=actor, at=at)
                continue
            kind, old_text, new_text = events.columns(payload, None, None)
            rows.append(
                {"ticket_id": ticket_id, "actor": actor, "at": at, "kind": kind.value,
                 "old": old_text, "new": new_text}
            )  # fmt: skip
        if rows:
            self.conn.execute(insert(EVENTS), rows)
