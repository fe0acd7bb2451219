"""`cstui demo --live`: customers keep writing, at a realistic rate with a 双十一-style peak.

The rate follows a compressed sale day: calm, a steep climb to about eight times the calm
rate (midnight, when the sale opens), then a long decay, repeating every `cycle` seconds so a
short demo sees the peak. Arrivals are a Poisson process at that rate: about two in three
are new tickets from existing customers, the rest follow-ups on open tickets.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cstui import locations
from cstui.domain.model import Category, Channel, Priority, Ticket
from cstui.domain.templates import fill, ticket_values
from cstui.store.base import HelpdeskStore, NewTicket, View

CALM_PER_MINUTE = 6.0
PEAK_FACTOR = 8.0
PEAK_AT = 0.3  # where in the cycle the sale opens
CYCLE_SECONDS = 600.0
NEW_TICKET_SHARE = 0.65
CHANNELS = (Channel.CHAT, Channel.CHAT, Channel.APP, Channel.PHONE, Channel.EMAIL, Channel.SOCIAL)
FOLLOW_UPS = (
    "还没处理好吗？",
    "请尽快回复，谢谢",
    "我再问一下进度",
    "Any update on this?",
    "有结果了吗？",
)


def peak_factor(elapsed: float, cycle: float = CYCLE_SECONDS) -> float:
    """1 when calm, up to PEAK_FACTOR at the sale's opening, decaying after it."""
    phase = (elapsed % cycle) / cycle
    if phase < PEAK_AT:
        return 1 + (PEAK_FACTOR - 1) * (phase / PEAK_AT) ** 3
    return 1 + (PEAK_FACTOR - 1) * math.exp(-(phase - PEAK_AT) * 12)


def arrivals_per_minute(elapsed: float, cycle: float = CYCLE_SECONDS) -> float:
    return CALM_PER_MINUTE * peak_factor(elapsed, cycle)


@dataclass(frozen=True)
class Scenario:
    category: Category
    subject: dict[str, str]
    first: dict[str, str]


def load_scenarios() -> list[Scenario]:
    raw = json.loads((locations.fixtures_dir() / "scenarios.json").read_text(encoding="utf-8"))
    out = []
    for s in raw:
        firsts = [m for m in s["thread"] if m["from"] == "customer"]
        if firsts:
            out.append(Scenario(Category(s["category"]), s["subject"], firsts[0]))
    return out


def _values(ticket: Ticket) -> dict[str, str]:
    """What the ticket fills (the domain's own rule), plus stand-ins for what it cannot."""
    return {"product_name": "商品", "carrier": "顺丰", **ticket_values(ticket)}


class Feeder:
    """Writes customer traffic into a store until stopped; one thread, its own store."""

    def __init__(
        self,
        open_store: Callable[[], HelpdeskStore],
        *,
        seed: int = 0,
        cycle: float = CYCLE_SECONDS,
    ) -> None:
        self.open_store, self.cycle = open_store, cycle
        self.rng = random.Random(seed)
        self.scenarios = load_scenarios()
        self.stop_event = threading.Event()
        self.written = 0

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="cstui-live", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        store = self.open_store()
        started = time.monotonic()
        try:
            while not self.stop_event.is_set():
                rate = arrivals_per_minute(time.monotonic() - started, self.cycle) / 60
                if self.stop_event.wait(self.rng.expovariate(rate)):
                    break
                self.arrive(store)
        finally:
            store.close()

    def arrive(self, store: HelpdeskStore) -> Any:
        """One arrival: a new ticket or a customer's follow-up; errors never stop the feed."""
        try:
            pool = store.list_tickets(View.ALL_OPEN, actor=None, limit=100).items
            if not pool:
                return None
            base = self.rng.choice(pool)
            if self.rng.random() < NEW_TICKET_SHARE:
                result: Any = store.create_ticket(self._new_ticket(base))
            else:
                text = self.rng.choice(FOLLOW_UPS)
                result = store.customer_message(
                    base.id, text=text, channel=self.rng.choice(CHANNELS)
                )
            self.written += 1
            return result
        except Exception:  # a busy store or a rule refusing: skip this arrival
            return None

    def _new_ticket(self, base: Ticket) -> NewTicket:
        scenario = self.rng.choice(self.scenarios)
        lang = "en" if self.rng.random() < 0.1 else "zh"
        values = _values(base)
        return NewTicket(
            customer_id=base.customer.id,
            subject=fill(scenario.subject[lang], values).text,
            body=fill(scenario.first[lang], values).text,
            channel=self.rng.choice(CHANNELS),
            category=scenario.category,
            priority=Priority.HIGH if self.rng.random() < 0.2 else Priority.NORMAL,
            order_number=base.order.number if base.order else None,
        )
