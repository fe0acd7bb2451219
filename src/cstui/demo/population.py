"""The world before any ticket: agents, customers and orders as compact arrays, and the
customers' tiers.
"""

from __future__ import annotations

import math
import multiprocessing
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from math import exp as _exp
from random import Random
from typing import Any

from cstui.demo.fixtures import _people
from cstui.demo.formats import _dt
from cstui.demo.pools import started_pool
from cstui.demo.vocabulary import _DAY, _GOODS_PRICE, _PICK_GOODS, _TIER_INDEX
from cstui.domain.model import Role, Shift
from cstui.domain.rules import Rules
from cstui.domain.tiers import CustomerStats, classify, spend_cutoff


@dataclass(frozen=True)
class _AgentSpec:
    name: str
    display: str
    display_en: str  # how the agent signs to customers who write in English
    role: Role
    shift: Shift | None


def _agent_specs(agents: int) -> list[_AgentSpec]:
    """agent01… on morning, evening and night shifts (40/40/20), 3 supervisors, 1 admin;
    the team of people.json gives them their names."""
    morning = evening = math.ceil(agents * 0.4)
    width = max(2, len(str(agents)))
    team = _people().agents
    specs = []
    for i in range(agents):
        shift = (
            Shift.MORNING
            if i < morning
            else (Shift.EVENING if i < morning + evening else Shift.NIGHT)
        )
        zh, en = team[i % len(team)]
        if i >= len(team):  # a bigger team than the fixture's: namesakes get a number
            zh, en = f"{zh}{i // len(team) + 1}", f"{en} {i // len(team) + 1}"
        specs.append(_AgentSpec(f"agent{i + 1:0{width}d}", zh, en, Role.AGENT, shift))
    specs += [
        _AgentSpec(f"sup{n:02d}", zh, en, Role.SUPERVISOR, shift)
        for n, ((zh, en), shift) in enumerate(_people().supervisors, 1)
    ]
    specs.append(_AgentSpec("admin", "系统管理员", "Administrator", Role.ADMIN, None))
    return specs


@dataclass
class _Customers:
    """Customers and their orders; index 0 is unused so that ids index directly."""

    created: array[int] = field(default_factory=lambda: array("q", [0]))
    first_order: array[int] = field(default_factory=lambda: array("i", [0]))  # an order id
    n_orders: array[int] = field(default_factory=lambda: array("i", [0]))
    tier: array[int] = field(default_factory=lambda: array("b", [0]))
    complaints: array[int] = field(default_factory=lambda: array("i", [0]))
    placed: array[int] = field(default_factory=lambda: array("q", [0]))  # per order id
    amount: array[float] = field(default_factory=lambda: array("d", [0.0]))  # per order id
    goods: array[int] = field(default_factory=lambda: array("b", [0]))  # per order id

    @classmethod
    def empty(cls) -> _Customers:
        """Arrays without the unused index 0: one block of the plan, before merging."""
        return cls(*(array(a.typecode) for a in vars(cls()).values()))


def _customer_created(n: int, now_ts: int, i: int, r: float) -> int:
    """Signup times rise with the id; the newest 6% joined in the last 30 days."""
    u = (i - 1 + r) / n
    if u < 0.94:
        lo, hi, f = now_ts - 3 * 365 * _DAY, now_ts - 30 * _DAY, u / 0.94
    else:
        lo, hi, f = now_ts - 30 * _DAY, now_ts - 3600, (u - 0.94) / 0.06
    return int(lo + (hi - lo) * f)


def _order_count(rng: Random, new: bool) -> int:
    """Most customers order a few times a year; a few order every month or more."""
    if new:
        return 1 + (rng.random() < 0.3)
    if rng.random() < 0.05:
        return rng.randint(12, 30)
    return 1 + min(int(rng.expovariate(1 / 2.5)), 11)


CUSTOMER_BLOCK = 25_000  # customers planned per random stream (and per parallel task)


def _plan_block(seed: int, n: int, now_ts: int, lo: int, hi: int) -> _Customers:
    """Customers lo..hi-1: signup dates and orders (date, goods, amount), from the block's
    own random stream; `first_order` counts from 0 within the block until merged.

    Every order falls in the last year, so a customer's spend is also their annual spend.
    """
    rng = Random(seed * 31 + 1 + 1_000_003 * lo)
    c = _Customers.empty()
    year_ago = now_ts - 365 * _DAY
    order_index = 0
    for i in range(lo, hi):
        created = _customer_created(n, now_ts, i, rng.random())
        k = _order_count(rng, now_ts - created < 30 * _DAY)
        scale = 6.0 if rng.random() < 0.08 else 1.0  # a big spender
        start = max(created, year_ago)
        c.created.append(created)
        c.first_order.append(order_index)
        c.n_orders.append(k)
        c.complaints.append(0)
        span = now_ts - 600 - start
        for ts in sorted(start + int(rng.random() * span) for _ in range(k)):
            g = _PICK_GOODS(rng)
            c.placed.append(ts)
            c.goods.append(g)
            c.amount.append(round(_GOODS_PRICE[g] * scale * _exp(rng.gauss(0, 0.7)), 2))
            order_index += 1
    return c


def _plan_customers(seed: int, n: int, now_ts: int, workers: int) -> _Customers:
    """Every customer and order, planned block by block (in parallel with workers) and
    merged in id order: the result does not depend on the number of workers."""
    blocks = [
        (seed, n, now_ts, lo, min(n + 1, lo + CUSTOMER_BLOCK))
        for lo in range(1, n + 1, CUSTOMER_BLOCK)
    ]
    if workers > 1 and len(blocks) > 1:
        with started_pool(multiprocessing.get_context("fork"), min(workers, len(blocks))) as pool:
            parts = pool.starmap(_plan_block, blocks)
    else:
        parts = [_plan_block(*b) for b in blocks]
    c = _Customers()
    for part in parts:
        offset = len(c.placed)  # the next order id
        c.first_order.extend(offset + f for f in part.first_order)
        for name in ("created", "n_orders", "complaints", "placed", "amount", "goods"):
            getattr(c, name).extend(getattr(part, name))
    return c


Tiers = list[tuple[str, str]]  # per customer (index = id - 1): tier and its reasons


def _classify_one(
    c: _Customers, i: int, rules: Rules, now: datetime, cutoff: float | None
) -> tuple[str, str]:
    """Customer i's tier and reasons, as `SqlStore.retier_customers` would rank them."""
    stats = CustomerStats(
        annual_spend=_spend(c, i),
        orders_last_year=c.n_orders[i],
        complaint_count=c.complaints[i],
        first_order_at=_dt(c.placed[c.first_order[i]]) if c.n_orders[i] else None,
        created_at=_dt(c.created[i]),
    )
    assessed = classify(stats, rules.tiers, now, cutoff)
    return assessed.tier.value, "; ".join(assessed.reasons)


def _classify_all(c: _Customers, rules: Rules, now: datetime, cutoff: float | None) -> Tiers:
    """Every customer, with the complaint counts `c` holds at the time."""
    return [_classify_one(c, i, rules, now, cutoff) for i in range(1, len(c.created))]


_TIER_INPUT: tuple[_Customers, Rules, datetime, float | None] | None = None


def _classify_before_complaints() -> Tiers:
    """In a forked helper: every customer as if nobody had complained yet."""
    assert _TIER_INPUT is not None
    return _classify_all(*_TIER_INPUT)


class _Tiers:
    """Customer tiers. A tier depends on complaints, which only the plan counts; but 98% of
    customers never complain, so on several cores a forked helper classifies everyone as
    complaint-free while the plan runs, and the complainants are classified again after."""

    def __init__(self, c: _Customers, rules: Rules, now: datetime, parallel: bool) -> None:
        global _TIER_INPUT
        spends = [_spend(c, i) for i in range(1, len(c.created))]
        self.args = (c, rules, now, spend_cutoff(spends, rules.tiers.vip_top_share))
        self.pool: Any = None
        if parallel:
            _TIER_INPUT = self.args
            self.pool = started_pool(multiprocessing.get_context("fork"), 1)
            try:
                self.result = self.pool.apply_async(_classify_before_complaints)
            except BaseException:
                self.abandon()
                raise
            finally:
                _TIER_INPUT = None

    def abandon(self) -> None:
        """Stop the helper at once. A pool left for the interpreter's exit can hang it:
        the exit kills the idle worker first, and the pool's finalizer then waits forever
        for the queue lock that worker held."""
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def finish(self) -> Tiers:
        """Every customer's tier and reasons, complaints counted; sets `c.tier` too."""
        c, rules, now, cutoff = self.args
        if self.pool is None:
            tiers = _classify_all(*self.args)
        else:
            tiers = self.result.get()
            self.pool.close()
            self.pool.join()
            for i in range(1, len(c.created)):
                if c.complaints[i]:
                    tiers[i - 1] = _classify_one(c, i, rules, now, cutoff)
        c.tier = array("b", [0, *(_TIER_INDEX[tier] for tier, _ in tiers)])
        return tiers


def _spend(c: _Customers, i: int) -> float:
    first = c.first_order[i]
    return round(sum(c.amount[first : first + c.n_orders[i]]), 2)
