"""The store's writes, replayed on one ticket's rows and events (see `_Replay`), and the
rows of a chunk of tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from math import log as _log
from random import Random
from typing import Any

from cstui.demo.fixtures import _AGENT_TURN, _CUSTOMER_TURN, _NOTE_TURN, _Scenario
from cstui.demo.formats import _fmt_datetime, _fmt_text, _iso_text, _q, _same
from cstui.demo.identity import _contact
from cstui.demo.mail import (
    customer_message_id,
    files_for,
    mention,
    our_message_id,
    send_delay,
)
from cstui.demo.plan import _F_COMPLAINT, _F_ROUTED, _F_SECOND, _Plan
from cstui.demo.population import Tiers, _AgentSpec, _Customers
from cstui.demo.vocabulary import (
    _CAT_S,
    _CATEGORIES,
    _CHANNELS,
    _CHASES,
    _CLOSED,
    _CODES,
    _CUSTOMER,
    _DENY_NOTE,
    _DONE,
    _ESC_REASONS,
    _FOLLOW_UP_NOTES,
    _FOLLOWS,
    _GREEN_REASONS,
    _KIND_OF,
    _NEW,
    _NOTE,
    _NOTES,
    _ON_HOLD,
    _OPEN,
    _PENDING,
    _PICK_CHANNEL,
    _REJECTED,
    _REPLIES,
    _REPLY,
    _REQUESTED,
    _RESOLVED,
    _STATUS_S,
    _STATUSES,
    Text,
    _Handling,
)
from cstui.domain import complaints, escalation, events, sla
from cstui.domain.channels import DeliveryKind, DeliveryState
from cstui.domain.model import (
    TIER_RANK,
    Channel,
    ComplaintCause,
    Department,
    EscalationState,
    Priority,
    Role,
    SlaDue,
    Status,
    Tier,
)
from cstui.domain.rules import Rules
from cstui.store import rows as R
from cstui.store.ticket_index import TicketDoc

_EMAIL, _CHAT = Channel.EMAIL.value, Channel.CHAT.value
_SENT = DeliveryState.SENT.value


@dataclass
class _World:
    """Everything a chunk needs; module-global in `cstui.demo.jobs` while seeding, so that
    forked workers share it."""

    seed: int
    now: datetime
    rules: Rules
    sqlite: bool
    agents: list[_AgentSpec]
    customers: _Customers
    plan: _Plan
    tickets: int
    tiers: Tiers


# An event payload naming a row of its own chunk: (prefix, table, local index, suffix);
# the writer puts the global id in (ids are only known once earlier chunks are written).
_MSG, _ESC, _TRF = 0, 1, 2
Ref = tuple[str, int, int, str]


@dataclass
class ChunkRows:
    """One chunk's rows, in the column order of `cstui.store.bulk.COLUMNS`."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    escalations: list[tuple[Any, ...]] = field(default_factory=list)
    transfers: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    # Rows naming a message of this chunk by its index here (the writer puts its id in):
    # deliveries (a reply's dedupe key is made from it too) and attachments.
    deliveries: list[tuple[Any, ...]] = field(default_factory=list)
    attachments: list[tuple[Any, ...]] = field(default_factory=list)
    # (ticket id, customer id, order id, head, body): the search index's costly fields,
    # cut where the chunk is built; the identifiers are added as it is written
    search: list[tuple[int, int, int | None, str, str]] = field(default_factory=list)
    docs: list[TicketDoc] = field(default_factory=list)  # the entries, once completed


class _Replay:
    """Replays one ticket through the store's write rules, appending rows and events.

    Each `_do_*` method mirrors one store write (create_ticket, take, add_message, escalate,
    …): the same column changes, the same version bump, the same event kind and payload (a
    `cstui.domain.events` payload class, written by `events.encode` as the store writes it,
    so the log decodes). Time is epoch seconds, kept below `now`. What the customer and the
    agents write comes from the scenario the ticket plays, in the customer's language.
    `_Story` (`cstui.demo.story`) decides the ticket's facts, its scenario and when each
    write happens.
    """

    # The ticket's facts and scenario, set by `_Story.tell` before the first write.
    tid: int
    t: int  # the story's time, epoch seconds
    created: int
    target: int  # the status the plan gave it
    flags: int
    cat: int
    handling: _Handling
    cust: int
    cust_name: str
    en: int  # the customer's language: an index of a `Text`
    tier: Tier
    tier_s: str
    order_id: int
    order_no: str | None
    goods: int
    channel: str
    priority: Priority
    priority_s: str
    will_pause: bool
    track: bool
    green_esc: bool
    escalates: bool
    cause: str | None
    scenario: _Scenario
    said: list[int]
    spare: list[int]
    values: dict[str, str]
    email: str | None  # the customer's address ("" until looked up, None: they have none)

    def __init__(self, w: _World, rng: Random, out: ChunkRows) -> None:
        self.w, self.rng, self.out = w, rng, out
        self.fmt = _fmt_text if w.sqlite else _fmt_datetime
        self.dfmt = _iso_text if w.sqlite else _same
        self.cal, self.policy = w.rules.calendar, w.rules.sla
        self.domain = w.rules.channels.domain  # of our Message-IDs
        self.surveys = w.rules.channels.survey  # the store asks for CSAT on resolving
        self.limit = int(w.now.timestamp()) - 30
        self.names = tuple(a.name for a in w.agents)
        self.signs = (tuple(a.display for a in w.agents), tuple(a.display_en for a in w.agents))
        self.agents = tuple(i for i, a in enumerate(w.agents) if a.role is Role.AGENT)
        self.sups = {a.shift: i for i, a in enumerate(w.agents) if a.role is Role.SUPERVISOR}
        stopped = R.clock_columns(sla.SlaClock(due=SlaDue()))
        self.stopped = (self.dfmt(stopped["due_key"]), stopped["sla_remaining"])
        self.stamps: dict[int, Any] = {}

    # -- words and time ------------------------------------------------------------------

    def _say(self, kind: int, fallback: tuple[Text, ...]) -> str:
        """The scenario's next turn of this kind, filled in, once the turns before it were
        said (see `fixtures._Step`); else one of the fallback texts."""
        said, steps = self.said, self.scenario.steps[kind]
        n = said[kind]
        if n < len(steps):
            words, customers, agents = steps[n]
            if said[_CUSTOMER_TURN] >= customers and said[_AGENT_TURN] >= agents:
                said[kind] = n + 1
                return words[self.en].format_map(self.values)
        # In turn from a random start: the same words twice in a row would read oddly.
        words = fallback[self.spare[kind] % len(fallback)]
        self.spare[kind] += 1
        return words[self.en]  # without placeholders

    def _d(self) -> datetime:
        """The story's time as the domain rules want it: an aware datetime."""
        return datetime.fromtimestamp(self.t, UTC)

    def _after(self, mean: float) -> None:
        """Time passes, about `mean` seconds, each step at most half the time left."""
        step = 1 + int(-_log(1.0 - self.rng.random()) * mean)
        room = (self.limit - self.t) // 2
        self.t += min(step, room) if room > 0 else 0

    def _choice(self, options: Sequence[str]) -> str:
        return options[int(self.rng.random() * len(options))]

    def _reachable(self, channel: str) -> str:
        """The channel the customer writes on: one without an e-mail address chats instead
        of mailing (mail customers have the address the store answers them at)."""
        if channel != _EMAIL:
            return channel
        if self.email == "":
            self.email = _contact(self.w.seed, self.cust)[1]
        return channel if self.email else _CHAT

    # -- store writes, replayed ----------------------------------------------------------

    def _do_create(self, routed_owner: int) -> None:
        """create_ticket: the row, the first message, CREATED, COMPLAINT and ROUTED."""
        self.clock = (
            sla.start_clock(self._d(), self.priority, self.tier, self.policy, self.cal)
            if self.track
            else None
        )
        self.status, self.owner, self.dispatch, self.version = _NEW, -1, 0, 1
        self.updated = self.activity = self.t
        self.responded = self.resolved = 0
        self.green, self.open_esc = 1, 0
        self.departments: list[Department] = []
        self.escs: list[list[Any]] = []
        self.code: str | None = None
        self.follow_up: datetime | None = None
        self.subject = self.scenario.subject[self.en].format_map(self.values)
        complaint = bool(self.flags & _F_COMPLAINT)
        self.matter = (
            complaints.matter_key(self.cust, self.order_no, _CATEGORIES[self.cat])
            if complaint
            else None
        )
        self.mails = self.sent = 0  # customer mails and deliveries of this ticket so far
        self.surveyed = False
        opening = self._say(_CUSTOMER_TURN, _CHASES)  # every scenario opens with the customer
        if self.channel == _EMAIL:
            self._first_mail(opening)
        else:
            self._message(_CUSTOMER, self.channel, self.cust_name, opening)
        self._event(
            None,
            events.Created(
                channel=_CHANNELS[self.channel],
                category=_CATEGORIES[self.cat],
                priority=self.priority,
                tier=self.tier,
                customer_id=self.cust,
                complaint=complaint,
            ),
        )
        if complaint:
            cause = ComplaintCause(self.cause) if self.cause else None
            second = bool(self.flags & _F_SECOND)
            self._event(None, events.Complaint(cause=cause, second=second))
        if self.flags & _F_ROUTED:
            self.owner, self.status, self.dispatch = routed_owner, _OPEN, 1
            name = self.names[routed_owner]
            self._event(None, events.Routed(owner=name, reason="returning customer"))

    def _change(self, activity: bool = True) -> None:
        """Every UPDATE of the ticket bumps its version; most writes count as activity."""
        self.version += 1
        self.updated = self.t
        if activity:
            self.activity = self.t

    def _do_take(self, agent: int) -> None:
        """take: the first owner; one hand-off counted."""
        self.owner, self.status, self.dispatch = agent, _OPEN, self.dispatch + 1
        self._change()
        self._event(self.names[agent], events.Taken(owner=self.names[agent]))

    def _do_reply(self) -> None:
        """add_message (reply): meets the first and next response deadlines."""
        if self.clock is not None:
            self.clock = sla.on_agent_reply(self.clock, self._d())
        self.responded = self.responded or self.t
        self._change()
        actor = self.names[self.owner]
        self.values["agent_name"] = self.signs[self.en][self.owner]
        mid = self._message(_REPLY, self.channel, actor, self._say(_AGENT_TURN, _REPLIES))
        self._event_naming(actor, events.Reply(message_id=mid), "message_id", _MSG)
        if self.channel == _EMAIL:  # queued with the reply, sent moments later
            self._delivered(DeliveryKind.REPLY, mid)

    def _do_note(self) -> None:
        self._change()
        actor = self.names[self.owner]
        self.values["agent_name"] = self.signs[self.en][self.owner]
        mid = self._message(_NOTE, self.channel, actor, self._say(_NOTE_TURN, _NOTES))
        self._event_naming(actor, events.Note(message_id=mid), "message_id", _MSG)

    def _do_customer_message(self, options: tuple[Text, ...]) -> None:
        """customer_message: resumes a paused clock, and a next response is owed."""
        if self.clock is not None:
            if self.status == _PENDING:
                self.clock = sla.resume(self.clock, self._d(), self.cal)
            self.clock = sla.on_customer_message(
                self.clock, self._d(), self.priority, self.tier, self.policy, self.cal
            )
        if self.status == _PENDING:
            self.status = _OPEN
        self._change()
        channel = self.channel if self.rng.random() < 0.8 else _PICK_CHANNEL(self.rng)
        # Before any answer, a customer can only chase.
        body = self._say(_CUSTOMER_TURN, options if self.responded else _CHASES)
        if channel != _EMAIL:
            mid = self._message(_CUSTOMER, channel, self.cust_name, body)
        else:
            channel = self._reachable(channel)
            mid = self._message(_CUSTOMER, channel, self.cust_name, body, *self._mail_ids(channel))
        said = events.CustomerMessage(message_id=mid, channel=_CHANNELS[channel])
        self._event_naming(None, said, "message_id", _MSG)

    def _do_status(self, new: int) -> None:
        """set_status: pending pauses the clock, leaving pending resumes it."""
        old = self.status
        if self.clock is not None and new != _CLOSED:
            if new == _PENDING:
                self.clock = sla.pause(self.clock, self._d(), self.cal)
            elif old == _PENDING:
                self.clock = sla.resume(self.clock, self._d(), self.cal)
        self.status = new
        self._change()
        changed = events.StatusChanged(status=_STATUSES[new], old_status=_STATUSES[old])
        self._event(self.names[self.owner], changed)

    def _do_escalate(self, department: Department, green: bool, actor: int) -> None:
        """escalate: due by the department's allowance, 3 working days when complex, or
        2 hours on the green channel; the owner stays the owner."""
        due = escalation.escalation_due(
            self._d(),
            department=department,
            green=green,
            complex_case=escalation.is_complex([*self.departments, department]),
            cal=self.cal,
            policy=self.w.rules.escalation,
        )
        self.departments.append(department)
        self.open_esc += 1
        self.green = 0 if green else self.green
        self._change()
        reason = self._choice(_GREEN_REASONS if green else _ESC_REASONS)
        name = self.names[actor]
        local = len(self.out.escalations) + len(self.escs)
        self.escs.append(
            [
                self.tid,
                department.value,
                reason,
                _REQUESTED,
                int(green),
                name,
                self._at(self.t),
                self.dfmt(due),
                None,
                [],
            ]
        )
        escalated = events.Escalated(
            escalation_id=local, department=department, green=green, due_at=due, reason=reason
        )
        self._event_naming(name, escalated, "escalation_id", _ESC)

    def _do_escalation_state(self, n: int, state: str, note: str) -> None:
        """update_escalation by the owner, relaying the department's answer."""
        esc, name = self.escs[n], self.names[self.owner]
        old = esc[3]
        esc[3], esc[8] = state, self._at(self.t)
        esc[9].append(f'"{name}: {_q(note)[1:]}')  # an agent name needs no escaping
        if state in (_DONE, _REJECTED):
            self.open_esc = max(0, self.open_esc - 1)
        self._change()
        local = len(self.out.escalations) + n
        changed = events.EscalationStateChanged(
            escalation_id=local,
            state=EscalationState(state),
            note=note,
            old_state=EscalationState(old),
        )
        self._event_naming(name, changed, "escalation_id", _ESC)

    def _do_green_channel(self, actor: int) -> None:
        """set_green_channel: a supervisor's call; a version bump, not activity."""
        self.green = 0
        self._change(activity=False)
        reason = self._choice(_GREEN_REASONS)
        self._event(self.names[actor], events.GreenChannel(reason=reason))

    def _do_move_owner(
        self, kind: type[events.OwnerMoved], actor: int, to: int, reason: str
    ) -> None:
        """_move_owner: a new owner, one more hand-off (never back to an earlier owner)."""
        old = self.owner
        self.owner, self.dispatch = to, self.dispatch + 1
        self._change()
        moved = kind(owner=self.names[to], reason=reason, old_owner=self.names[old])
        self._event(self.names[actor], moved)

    def _do_request_transfer(self, to: int, reason: str, state: str, sup: int) -> None:
        """transfer (approval needed) and, unless still pending, decide_transfer."""
        owner = self.names[self.owner]
        local, requested = len(self.out.transfers), self.t
        asked = events.TransferRequested(
            to=self.names[to], reason=reason, request_id=local, old_owner=owner
        )
        self._event_naming(owner, asked, "request_id", _TRF)
        decided = state != "pending"
        if decided:
            self._after(1800)
        self.out.transfers.append(
            (
                self.tid,
                owner,
                self.names[to],
                reason,
                owner,
                state,
                self.names[sup] if decided else None,
                self._at(requested),
                self._at(self.t) if decided else None,
            )
        )
        if state == "approved":
            self._do_move_owner(events.TransferApproved, sup, to, reason)
        elif state == "denied":
            denied = events.TransferDenied(request_id=local, note=_DENY_NOTE)
            self._event_naming(self.names[sup], denied, "request_id", _TRF)

    def _do_resolve(self, code: str) -> None:
        """resolve: the clock stops; complaints and key customers get a follow-up call."""
        old = self.status
        if self.clock is not None:
            self.clock = sla.stop(self.clock)
        self.status, self.resolved, self.code = _RESOLVED, self.t, code
        self.follow_up = complaints.follow_up_due(
            self._d(),
            complaint=self.matter is not None,
            tier=self.tier,
            cal=self.cal,
            policy=self.w.rules.follow_up,
        )
        self._change()
        owner = self.names[self.owner]
        resolved = events.Resolved(code=_CODES[code], owner=owner, old_status=_STATUSES[old])
        self._event(owner, resolved)
        if self.channel == _EMAIL and self.surveys and not self.surveyed:  # once a ticket
            self.surveyed = True
            self._delivered(DeliveryKind.SURVEY, None)
        if self.follow_up is not None:
            self._event(owner, events.FollowUpScheduled(due=self.follow_up))

    def _do_reopen(self) -> None:
        """customer_message on a resolved ticket: a new clock whose first response was
        given long ago; follow_up_due stays, as the store leaves it."""
        clock = sla.start_clock(self._d(), self.priority, self.tier, self.policy, self.cal)
        self.clock = sla.on_agent_reply(clock, self._d())
        was = _STATUSES[self.status]
        self._event(None, events.Reopened(status=Status.OPEN, old_status=was))
        self.status, self.resolved, self.code = _OPEN, 0, None
        self._do_customer_message(_FOLLOWS)

    def _do_csat(self, score: int) -> None:
        self._event(None, events.Csat(score=score, owner=self.names[self.owner]))

    def _do_follow_up_done(self) -> None:
        self.follow_up = None
        self._change(activity=False)
        note = self._choice(_FOLLOW_UP_NOTES)
        self._event(self.names[self.owner], events.FollowUpDone(note=note))

    def _do_link(self, other: int) -> None:
        """A related earlier ticket of the same customer; links are kept both ways."""
        self.out.links.append((self.tid, other))
        self.out.links.append((other, self.tid))
        self._event(None, events.Linked(other=other))

    # -- rows ----------------------------------------------------------------------------

    def _at(self, t: int) -> Any:
        """The column value of a time of this ticket; each is needed several times."""
        value = self.stamps.get(t)
        if value is None:
            value = self.stamps[t] = self.fmt(t)
        return value

    def _message(
        self,
        kind: str,
        channel: str,
        author: str,
        body: str,
        external_id: str | None = None,
        address: str | None = None,
    ) -> int:
        row = (self.tid, kind, channel, author, body, self._at(self.t))
        # Most messages came on no mail: their row leaves out the NULLs (`bulk.SPARSE`).
        self.out.messages.append(row if external_id is None else (*row, external_id, address))
        return len(self.out.messages) - 1

    def _mail_ids(self, channel: str) -> tuple[str | None, str | None]:
        """A customer's message's Message-ID and the address it came from, on e-mail."""
        if channel != _EMAIL or not self.email:
            return None, None
        self.mails += 1
        return customer_message_id(self.w.seed, self.tid, self.mails, self.email), self.email

    def _first_mail(self, body: str) -> None:
        """The mail that opens the ticket, with a photo or a receipt now and then."""
        c, oid = self.w.customers, self.order_id
        order = (self.order_no, c.amount[oid], c.placed[oid]) if self.order_no else None
        files = files_for(self.w.seed, self.tid, self.cat, created=self.t, order=order, en=self.en)
        if files:
            body = f"{body}\n\n{mention(files, self.en)}"
        mid = self._message(_CUSTOMER, _EMAIL, self.cust_name, body, *self._mail_ids(_EMAIL))
        at = self._at(self.t)
        for f in files:
            self.out.attachments.append(
                (self.tid, mid, f.filename, f.content_type, len(f.data), f.sha256, f.data, at)
            )

    def _delivered(self, kind: DeliveryKind, mid: int | None) -> None:
        """An outbox row as the mail worker leaves it: sent on its first attempt. A reply's
        dedupe key ("reply:<message id>") is made by the writer, which knows the id."""
        self.sent += 1
        ours = our_message_id(self.w.seed, self.tid, self.sent, self.domain)
        key = None if mid is not None else f"{kind.value}:{self.tid}"
        at, sent = self._at(self.t), self.fmt(self.t + send_delay(self.tid, self.sent))
        self.out.deliveries.append(
            (
                self.tid,
                mid,
                kind.value,
                _EMAIL,
                self.email,
                _SENT,
                1,
                at,
                None,
                None,
                ours,
                key,
                at,
                sent,
            )
        )

    def _event(self, actor: str | None, p: events.Payload) -> None:
        old, new = events.encode(p)
        self.out.events.append((self.tid, actor, self._at(self.t), _KIND_OF[type(p)], old, new))

    def _event_naming(self, actor: str | None, p: events.Payload, name: str, table: int) -> None:
        """An event whose int field `name` is a row of this chunk's `table`, by its index
        here: the writer puts the row's id in."""
        old, (before, after) = events.encode_around(p, name)
        ref: Ref = (before, table, getattr(p, name), after)
        self.out.events.append((self.tid, actor, self._at(self.t), _KIND_OF[type(p)], old, ref))

    def _emit(self) -> None:
        """The ticket row as its last write left it, then its escalations."""
        at, dfmt = self._at, self.dfmt
        dues: list[Any] = [None, None, None, None]
        if self.clock is None:  # resolved without a resumed pause: a stopped clock
            due_key, remaining = self.stopped
        else:
            cols = R.clock_columns(self.clock)
            due_key, remaining = dfmt(cols["due_key"]), cols["sla_remaining"]
            for n, name in enumerate(
                ("first_response_due", "next_response_due", "resolution_due", "sla_paused_at")
            ):
                if cols[name] is not None:
                    dues[n] = dfmt(cols[name])
        self.out.tickets.append(
            (
                self.tid,
                self.subject,
                _STATUS_S[self.status],
                self.priority_s,
                self.channel,
                _CAT_S[self.cat],
                self.cust,
                self.order_id or None,
                None if self.owner < 0 else self.owner + 1,
                self.dispatch,
                self.version,
                self.tier_s,
                int(self.status <= _ON_HOLD),
                self.green,
                due_key,
                TIER_RANK[self.tier],
                self.open_esc,
                *dues,
                remaining,
                at(self.responded) if self.responded else None,
                self.cause,
                int(bool(self.flags & _F_SECOND)),
                self.matter,
                None if self.follow_up is None else dfmt(self.follow_up),
                self.code,
                at(self.resolved) if self.resolved else None,
                None,
                at(self.created),
                at(self.updated),
                at(self.activity),
            )
        )
        for esc in self.escs:  # notes as `json.dumps(notes, ensure_ascii=False)` writes them
            esc[9] = f"[{', '.join(esc[9])}]"
            self.out.escalations.append(tuple(esc))
