"""Stories: one ticket's life, as rows and events, built a chunk of tickets at a time."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache
from random import Random

from cstui.demo.fixtures import _people, _scenario_pool
from cstui.demo.formats import _fmt_text
from cstui.demo.identity import (
    _coupon,
    _customer_hash,
    _name,
    _shipping,
    _writes_english,
    customer_name,
    order_number,
)
from cstui.demo.plan import _F_COMPLAINT, _F_ROUTED, _F_SECOND, _shift_at
from cstui.demo.replay import _EMAIL, ChunkRows, _Replay, _World
from cstui.demo.vocabulary import (
    _ACK_NOTES,
    _ACKNOWLEDGED,
    _BASIC_CATS,
    _CHASES,
    _CLOSED,
    _DAY,
    _DONE,
    _DONE_NOTES,
    _FOLLOWS,
    _FRESH,
    _GREEN_ESC_CATS,
    _HANDLING_LIST,
    _NEW,
    _ON_HOLD,
    _OPEN,
    _PENDING,
    _PICK_CAUSE,
    _PICK_CHANNEL,
    _PICK_PRIORITY,
    _PICK_PRIORITY_VIP,
    _PICK_ROUNDS_DONE,
    _PICK_ROUNDS_OPEN,
    _PICK_SCORE,
    _PICK_SCORE_UNHAPPY,
    _REJECT_NOTES,
    _REJECTED,
    _RESOLVED,
    _STEAL_REASON,
    _TIER_S,
    _TIERS,
    _TRANSFER_REASONS,
)
from cstui.domain import events
from cstui.domain.model import Department, Priority, ResolutionCode, Tier
from cstui.search.segment import SEPARATOR, index_text


class _Story(_Replay):
    """One ticket's life, from the plan's facts to its rows and events: the scenario it plays
    and when each write happens (what each write does is `_Replay`'s)."""

    # -- the ticket as a whole ---------------------------------------------------------

    def tell(self, tid: int) -> None:
        """Ticket tid's whole life, from the plan's facts to its rows and events."""
        p, c, rng, i = self.w.plan, self.w.customers, self.rng, tid - 1
        self.tid, self.stamps = tid, {}
        self.t = self.created = p.created[i]
        self.target, self.flags, self.cat = p.status[i], p.flags[i], p.category[i]
        self.handling = _HANDLING_LIST[self.cat]
        cust = self.cust = p.customer[i]
        who = _customer_hash(self.w.seed, cust)
        self.cust_name, self.en = _name(who), int(_writes_english(who))  # en: index of a Text
        self.tier = _TIERS[c.tier[cust]]
        self.tier_s = _TIER_S[c.tier[cust]]
        oid = self.order_id = p.order[i]
        self.order_no = order_number(oid, c.placed[oid]) if oid else None
        self.goods = c.goods[oid] if oid else -1
        self.email = ""  # looked up when they mail
        channel = _PICK_CHANNEL(rng)
        self.channel = channel if channel != _EMAIL else self._reachable(channel)
        self.priority = self._priority()
        self.priority_s = self.priority.value
        # A finished ticket's clock ends stopped; only a resumed pause leaves a trace in it
        # (paused_total), so the clock is replayed for open work and those tickets only.
        self.will_pause = self.target >= _RESOLVED and rng.random() < 0.08
        self.track = self.target <= _ON_HOLD or self.will_pause
        self._plan_escalation()
        self.cause = _PICK_CAUSE(rng) if self.flags & _F_COMPLAINT else None
        self._cast(p.owner[i])
        self._do_create(p.owner[i])
        if p.link[i]:
            self._do_link(p.link[i])
        if self.target == _NEW:
            self._unassigned()
        else:
            self._worked(p.owner[i], p.taken[i])
        self._emit()

    def _priority(self) -> Priority:
        """Complaints and spoiling goods come first; VIPs raise more urgent requests."""
        rng = self.rng
        if self.flags & _F_COMPLAINT:
            return Priority.URGENT if rng.random() < 0.3 else Priority.HIGH
        if self.goods >= _FRESH and self.handling.escalate >= 0.3:
            return Priority.URGENT if rng.random() < 0.5 else Priority.HIGH
        return (_PICK_PRIORITY_VIP if self.tier is Tier.VIP else _PICK_PRIORITY)(rng)

    def _plan_escalation(self) -> None:
        """Whether the story will go to a department (and on the green channel), decided up
        front with the same odds, so that the scenario can fit it; see `_maybe_escalate`."""
        self.green_esc = self.escalates = False
        if self.target == _NEW:
            return
        rng = self.rng
        self.green_esc = self.goods >= _FRESH and self.cat in _GREEN_ESC_CATS and rng.random() < 0.5
        self.escalates = self.green_esc or rng.random() < self.handling.escalate

    # -- what is written -----------------------------------------------------------------

    def _cast(self, owner: int) -> None:
        """Choose the scenario this ticket plays and the facts its placeholders name."""
        pool = _scenario_pool(
            (
                self.cat,
                self.en == 1,
                self.goods,
                self.tier is Tier.VIP,
                None if self.target == _NEW else self.escalates or self.target == _ON_HOLD,
                None if self.target == _NEW else self.green_esc,
                self.cause,
                bool(self.flags & _F_SECOND),
            )
        )
        h = self.rng.getrandbits(64)  # the choices of words, all from these bits
        self.scenario = pool[h % len(pool)]
        self.said = [0, 0, 0]  # turns said so far, by kind
        self.spare = [(h >> 56) & 3] * 3  # fallback texts used so far, by kind
        self.values = self._facts(owner, h)

    def _facts(self, owner: int, h: int) -> dict[str, str]:
        """The ticket's own data that the scenario names, in the customer's language (only
        what it names: most of these cost more to make than the rest of the text)."""
        sc, en = self.scenario, self.en
        products = sc.products[self.goods + 1]
        agent = owner if owner >= 0 else self.agents[(h >> 16) % len(self.agents)]
        values = {
            "customer_name": self.cust_name,
            "product_name": products[(h >> 8) % len(products)][en],
            "agent_name": self.signs[en][agent],
            "ticket_id": str(self.tid),
        }
        if sc.needs_order or "carrier" in sc.needs:
            self._order_facts(values, h)
        if "due_date" in sc.needs:  # three days on, Shanghai's date
            values["due_date"] = _fmt_text(self.created + 3 * _DAY + 8 * 3600)[:10]
        if "coupon_code" in sc.needs:
            values["coupon_code"] = _coupon(h >> 20)
        return values

    def _order_facts(self, values: dict[str, str], h: int) -> None:
        """The order's number, amount, carrier and tracking number. A scenario about an
        order, played on a ticket without one, speaks of the customer's latest order, as
        customers do."""
        c, en = self.w.customers, self.en
        oid = self.order_id or (self._latest_order() if self.scenario.needs_order else 0)
        if not oid:  # only the carrier is named
            carriers = _people().carriers
            values["carrier"] = carriers[(h >> 24) % len(carriers)].names[en]
            return
        carrier, tracking = _shipping(self.w.seed, oid, c.goods[oid])
        values["order_id"] = self.order_no or order_number(oid, c.placed[oid])
        values["tracking_no"] = tracking
        values["refund_amount"] = f"{c.amount[oid]:.2f}"
        values["carrier"] = carrier.names[en]

    def _latest_order(self) -> int:
        """The customer's latest order placed before the ticket, else their first."""
        c, cust = self.w.customers, self.cust
        first = c.first_order[cust]
        return max(first, bisect_right(c.placed, self.created, first, first + c.n_orders[cust]) - 1)

    # -- the shape of the story --------------------------------------------------------

    def _unassigned(self) -> None:
        """Nobody took it yet: perhaps the customer chased, perhaps a supervisor put fresh
        food or a medical device on the green channel."""
        if self.rng.random() < 0.2:
            self._after(3600)
            self._do_customer_message(_CHASES)
        if self.goods >= _FRESH and self.rng.random() < 0.5:
            self._after(600)
            self._do_green_channel(self._supervisor())

    def _worked(self, owner: int, taken: int) -> None:
        """An owned ticket: taken, answered, perhaps handed on or escalated, then ended
        in its planned status."""
        rng, target = self.rng, self.target
        if not self.flags & _F_ROUTED:
            self.t = max(taken, self.t)
            self._do_take(owner)
        if target != _OPEN or rng.random() < 0.75:
            self._after(300)
            self._do_reply()
        rounds = _PICK_ROUNDS_DONE if target >= _RESOLVED else _PICK_ROUNDS_OPEN
        for _ in range(rounds(rng)):
            self._after(4 * 3600)
            self._do_customer_message(_FOLLOWS)
            if target != _OPEN or rng.random() < 0.6:
                self._after(900)
                self._do_reply()
        if rng.random() < 0.15:
            self._after(600)
            self._do_note()
        self._maybe_transfer()
        self._maybe_escalate()
        self._end()

    def _end(self) -> None:
        """Bring the ticket to its planned status."""
        target = self.target
        if target >= _RESOLVED:
            self._finish()
        elif target == _PENDING:
            self._after(900)
            self._do_reply()
            self._do_status(_PENDING)
        elif target == _ON_HOLD:
            if not self.open_esc:
                self._do_escalate(self._department(), False, self.owner)
            self._after(600)
            self._do_status(_ON_HOLD)

    def _supervisor(self) -> int:
        return self.sups.get(_shift_at(self.t, self.cal.tz), min(self.sups.values()))

    def _maybe_transfer(self) -> None:
        """About 8% of owned tickets change hands (the documents' repeat-dispatch target);
        basic questions rarely do."""
        rng = self.rng
        if rng.random() >= (0.02 if self.cat in _BASIC_CATS else 0.13):
            return
        self._after(1800)
        sup, to, reason = self._supervisor(), self._other_agent(), self._choice(_TRANSFER_REASONS)
        roll = rng.random()
        if roll < 0.55:
            self._do_request_transfer(to, reason, "approved", sup)
        elif roll < 0.75:
            self._do_move_owner(events.Transferred, sup, to, reason)
        elif roll < 0.85:
            self._do_move_owner(events.Stolen, sup, sup, _STEAL_REASON)
        elif roll < 0.95 or self.target >= _RESOLVED:
            self._do_request_transfer(to, reason, "denied", sup)
        else:
            self._do_request_transfer(to, reason, "pending", sup)
        if self.owner in (to, sup):
            self._after(600)
            self._do_reply()

    def _other_agent(self) -> int:
        agents = self.agents
        k = int(self.rng.random() * len(agents))
        return agents[(k + 1) % len(agents)] if agents[k] == self.owner else agents[k]

    def _department(self) -> Department:
        deps = self.handling.departments
        return deps[int(self.rng.random() * len(deps))]

    def _maybe_escalate(self) -> None:
        """Departments by the request's kind; spoiling goods go to the green channel (as
        `_plan_escalation` decided)."""
        rng, green = self.rng, self.green_esc
        if not self.escalates:
            return
        self._after(1200)
        first = self._department()
        if green:
            first = Department.WAREHOUSE if self.goods == _FRESH else Department.QC
        self._do_escalate(first, green, self.owner)
        if rng.random() < 0.25:  # a second department: a complex case
            self._after(1800)
            others = [d for d in Department if d is not first]
            self._do_escalate(others[int(rng.random() * len(others))], False, self.owner)
        self._settle_escalations()

    def _settle_escalations(self) -> None:
        """Departments answer; on open work the latest request may still be open."""
        rng = self.rng
        finished = self.target in (_RESOLVED, _CLOSED, _PENDING)
        for n in range(len(self.escs)):
            last = n == len(self.escs) - 1
            stay_open = (
                not finished and last and rng.random() < (0.9 if self.target == _ON_HOLD else 0.5)
            )
            if rng.random() < 0.6:
                self._after(1800)
                self._do_escalation_state(n, _ACKNOWLEDGED, self._choice(_ACK_NOTES))
            if stay_open:
                continue
            self._after(5 * 3600)
            if rng.random() < 0.85:
                self._do_escalation_state(n, _DONE, self._choice(_DONE_NOTES))
            else:
                self._do_escalation_state(n, _REJECTED, self._choice(_REJECT_NOTES))
            self._after(600)
            self._do_reply()

    def _finish(self) -> None:
        """Resolution, sometimes a comeback, the survey, the follow-up call and closing."""
        rng = self.rng
        if self.will_pause:  # waited on the customer for a while
            self._after(900)
            self._do_status(_PENDING)
            self._after(8 * 3600)
            if rng.random() < 0.7:
                self._do_customer_message(_FOLLOWS)
                self._after(900)
                self._do_reply()
        self._after(1800)
        self._do_resolve(self._code())
        if rng.random() < 0.02:
            self._after(12 * 3600)
            self._do_reopen()
            self._after(1200)
            self._do_reply()
            self._after(3600)
            self._do_resolve(self._code())
        if rng.random() < 0.45:
            self._after(3 * 3600)
            self._do_csat(self._score())
        self._maybe_follow_up()
        if self.target == _CLOSED:
            self._after(2 * _DAY)
            self._do_status(_CLOSED)

    def _code(self) -> str:
        """How it was resolved: no answer while waiting on the customer, else mostly
        the usual outcome of its kind."""
        if self.status == _PENDING:
            return ResolutionCode.NO_RESPONSE.value
        codes = self.handling.codes  # the usual outcome most of the time
        return codes[0] if len(codes) == 1 or self.rng.random() < 0.7 else self._choice(codes)

    def _score(self) -> int:
        """CSAT, about 90% satisfied, far less after a refusal or a second complaint."""
        unhappy = self.flags & _F_SECOND or self.code in (
            ResolutionCode.REJECTED.value,
            ResolutionCode.NO_RESPONSE.value,
        )
        return (_PICK_SCORE_UNHAPPY if unhappy else _PICK_SCORE)(self.rng)

    def _maybe_follow_up(self) -> None:
        """Most follow-up calls that fell due are made; recent ones are still waiting."""
        if self.follow_up is None:
            return
        due = int(self.follow_up.timestamp())
        if due >= self.limit:
            return
        if self.rng.random() < (0.92 if self.limit - due > _DAY else 0.4):
            self.t = max(self.t, due)
            self._after(3600)
            self._do_follow_up_done()


def build_chunk(w: _World, lo: int, hi: int) -> ChunkRows:
    """Tickets lo..hi-1; each ticket draws from its own random stream, so the rows depend
    neither on the process nor on the chunk size."""
    out = ChunkRows()
    rng = Random()
    story = _Story(w, rng, out)
    for tid in range(lo, hi):
        rng.seed(w.seed * 10_000_019 + tid)  # each ticket its own stream: chunking is free
        story.tell(tid)
    _cut_for_search(w, out)
    return out


def _cut_for_search(w: _World, out: ChunkRows) -> None:
    """The chunk's subjects, names and threads cut as `ticket_index.TicketDoc.read` cuts
    them (the same texts in the same order: SQLite's index deletes an entry by its tokens)."""
    bodies: dict[int, list[str]] = {}
    for m in out.messages:
        bodies.setdefault(m[0], []).append(m[4])
    for t in out.tickets:
        tid, subject, cust, order = t[0], t[1], t[6], t[7]
        head = _cut_all((subject, customer_name(w.seed, cust)))
        out.search.append((tid, cust, order, head, _cut_all(bodies.get(tid, ()))))


_cut = lru_cache(maxsize=1 << 16)(index_text)


def _cut_all(texts: Iterable[str]) -> str:
    """`segment.tags_text` (what `ticket_index` cuts), each distinct text cut once: the
    scenarios' lines recur, so only about one message body in five and one subject in
    twenty is new."""
    return f" {SEPARATOR} ".join(filter(None, map(_cut, texts)))
