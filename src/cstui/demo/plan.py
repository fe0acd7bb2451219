"""The ticket plan: what must be decided in order, across tickets (customer, order, status,
first owner, returning-customer routing, second complaints, links).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from random import Random
from typing import Any

from cstui.demo.population import _AgentSpec, _Customers
from cstui.demo.vocabulary import (
    _ARRIVALS,
    _CATEGORIES,
    _COMPLAINT_CAT,
    _DAY,
    _NEW,
    _ORDER_SHARE,
    _PICK_CATEGORY,
    _PICK_STATUS,
    _PICK_STATUS_LIVE,
    _StatusTable,
)
from cstui.domain.model import Category, Role, Shift
from cstui.domain.rules import Rules

_F_COMPLAINT, _F_SECOND, _F_ROUTED = 1, 2, 4


@dataclass
class _Plan:
    """Per ticket (index = id - 1): the facts other tickets depend on."""

    created: array[int] = field(default_factory=lambda: array("q"))
    customer: array[int] = field(default_factory=lambda: array("i"))
    order: array[int] = field(default_factory=lambda: array("i"))  # 0: no order
    category: array[int] = field(default_factory=lambda: array("b"))
    status: array[int] = field(default_factory=lambda: array("b"))
    flags: array[int] = field(default_factory=lambda: array("b"))
    owner: array[int] = field(default_factory=lambda: array("h"))  # agent index, -1: none
    taken: array[int] = field(default_factory=lambda: array("q"))  # when the owner took it
    link: array[int] = field(default_factory=lambda: array("i"))  # an earlier ticket, or 0


@dataclass
class _Memory:
    """Per customer, as the plan walks forward: the last owned ticket, the last ticket and
    the matters complained about."""

    owner: array[int]
    taken: array[int]
    created: array[int]
    last_ticket: array[int]
    matters: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # (order, cat)


def _arrival(n: int, now_ts: int, i: int, r: float) -> int:
    """Creation time of ticket i: rising with the id (as the store's ids do), dense after
    Double 11."""
    u = (i - 1 + r) / n
    cum = 0.0
    for start, end, share in _ARRIVALS:
        if u < cum + share or end == 0:
            f = min(1.0, (u - cum) / share)
            return int(now_ts - start * _DAY + f * (start - end) * _DAY) - 1
        cum += share
    return now_ts - 1


def _status_for(rng: Random, age: int, routed: bool, table: _StatusTable = _PICK_STATUS) -> int:
    """A status drawn by the ticket's age: recent tickets are mostly open work."""
    days, pick = age / _DAY, table[-1][1]
    for limit, candidate in table:
        if days < limit:
            pick = candidate
            break
    status = pick(rng)
    while routed and status == _NEW:  # a returning customer reaches the earlier owner
        status = pick(rng)
    return status


class _Planner:
    """Walks the tickets in id (= time) order, deciding the cross-ticket facts.

    Routing follows the store's first-contact rule (`SqlStore._returning_owner`): a customer
    whose earlier ticket was taken and created within the returning window reaches that
    ticket's owner (approximated by its first owner and its creation time, which the plan
    knows without replaying stories).
    """

    def __init__(
        self,
        rng: Random,
        c: _Customers,
        agents: list[_AgentSpec],
        now: datetime,
        rules: Rules,
        *,
        live: bool = False,
    ) -> None:
        self.rng, self.c, self.now_ts = rng, c, int(now.timestamp())
        self.statuses = _PICK_STATUS_LIVE if live else _PICK_STATUS
        self.shifts = _shift_groups(agents)
        self.tz = rules.calendar.tz
        self.window = int(rules.returning_window.total_seconds())
        n = len(c.created)
        self.mem = _Memory(
            array("h", [-1]) * n, array("q", [0]) * n, array("q", [0]) * n, array("i", [0]) * n
        )
        self.complainants: list[int] = []

    def plan(self, n: int, progress: Callable[[int, int], None] | None = None) -> _Plan:
        """The facts of tickets 1..n, in order: each depends on the ones before."""
        p = _Plan()
        for i in range(1, n + 1):
            self._one(p, i, n)
            if progress is not None and i % 1000 == 0:
                progress(i, n)
        return p

    def _one(self, p: _Plan, i: int, n: int) -> None:
        """Ticket i: when, who, about what, its status and owner, and what it links to."""
        rng, mem = self.rng, self.mem
        t = _arrival(n, self.now_ts, i, rng.random())
        cat = _PICK_CATEGORY(rng)
        complaint = cat == _COMPLAINT_CAT or rng.random() < 0.005
        cust, order, cat, second = self._customer_and_order(t, cat, complaint)
        routed = (
            mem.owner[cust] >= 0 and mem.taken[cust] < t and t - mem.created[cust] <= self.window
        )
        status = _status_for(rng, self.now_ts - t, routed, self.statuses)
        owner, taken = self._owner(cust, t, status, routed)
        last = mem.last_ticket[cust]
        link = last if last and t - p.created[last - 1] < 14 * _DAY and (rng.random() < 0.25) else 0
        p.created.append(t)
        p.customer.append(cust)
        p.order.append(order)
        p.category.append(cat)
        p.status.append(status)
        p.flags.append(
            (_F_COMPLAINT if complaint else 0)
            | (_F_SECOND if second else 0)
            | (_F_ROUTED if routed else 0)
        )
        p.owner.append(owner)
        p.taken.append(taken)
        p.link.append(link)
        mem.last_ticket[cust] = i
        if owner >= 0:
            mem.owner[cust], mem.taken[cust], mem.created[cust] = owner, taken, t
        if complaint:
            self.c.complaints[cust] += 1

    def _customer_and_order(self, t: int, cat: int, complaint: bool) -> tuple[int, int, int, bool]:
        """Who writes, about which order; a few complainants come back on the same matter.

        Returns the customer, the order (0: none), the category and whether it is 二次投诉.
        """
        rng = self.rng
        if complaint and self.complainants and rng.random() < 0.015:
            cust = self.complainants[int(rng.random() * len(self.complainants))]
            order, cat = rng.choice(self.mem.matters[cust])
            return cust, order, cat, self._note_matter(cust, order, cat)
        signed_up = bisect_right(self.c.created, t, 1) - 1  # customers who exist by then
        cust = 1 + int(max(1, signed_up) * rng.random())
        order = self._order_for(cust, t, _CATEGORIES[cat])
        second = self._note_matter(cust, order, cat) if complaint else False
        return cust, order, cat, second

    def _note_matter(self, cust: int, order: int, cat: int) -> bool:
        """Remember a complaint's matter (`complaints.matter_key`: the order, else the
        category); True when the customer complained about it before."""
        matters = self.mem.matters.setdefault(cust, [])
        second = any((o == order if order else (not o and c == cat)) for o, c in matters)
        if not matters:
            self.complainants.append(cust)
        matters.append((order, cat))
        return second

    def _order_for(self, cust: int, t: int, category: Category) -> int:
        """One of the customer's orders placed before the ticket, mostly the latest."""
        if self.rng.random() >= _ORDER_SHARE.get(category, 0.9):
            return 0
        first, k = self.c.first_order[cust], self.c.n_orders[cust]
        j = bisect_right(self.c.placed, t, first, first + k) - 1
        if j < first:
            return 0
        return j - min(j - first, int(self.rng.expovariate(1.5)))

    def _owner(self, cust: int, t: int, status: int, routed: bool) -> tuple[int, int]:
        """Who took the ticket and when: the earlier owner, or an agent then on shift."""
        if routed:
            return self.mem.owner[cust], t
        if status == _NEW:
            return -1, 0
        room = max(1, (self.now_ts - t) // 3)
        taken = t + min(room, 20 + int(self.rng.expovariate(1 / 360)))
        group = self.shifts[_shift_at(taken, self.tz)]
        return group[int(self.rng.random() * len(group))], taken


def _shift_groups(agents: list[_AgentSpec]) -> dict[Shift, list[int]]:
    """Agent indexes per shift, so that whoever takes a ticket was at work then."""
    groups: dict[Shift, list[int]] = {s: [] for s in Shift}
    for i, a in enumerate(agents):
        if a.role is Role.AGENT and a.shift is not None:
            groups[a.shift].append(i)
    everyone = [i for i, a in enumerate(agents) if a.role is Role.AGENT]
    return {s: members or everyone for s, members in groups.items()}


def _shift_at(ts: int, tz: Any) -> Shift:
    """The shift at work at `ts`: morning 08–16, evening 16–23, night 23–08 (local)."""
    return _shift_in_hour(ts // 3600, tz)


@lru_cache(maxsize=8192)
def _shift_in_hour(hour_ts: int, tz: Any) -> Shift:
    hour = datetime.fromtimestamp(hour_ts * 3600, tz).hour
    if 8 <= hour < 16:
        return Shift.MORNING
    return Shift.EVENING if 16 <= hour < 23 else Shift.NIGHT
