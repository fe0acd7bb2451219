"""`cstui demo --live`: customers keep writing, at a realistic rate with a 双十一-style peak.

The rate follows a compressed sale day: calm, a steep climb to about eight times the calm
rate (midnight, when the sale opens), then a long decay, repeating every `cycle` seconds so a
short demo sees the peak. Arrivals are a Poisson process at that rate: about two in three
are new tickets from existing customers, the rest follow-ups on open tickets.

On a local store, mail arrives as mail: a raw message taken in by the same parser and
`ingest` as a mailbox's (`cstui.demo.live_mail`), so it threads, finds its customer (or
makes one) and keeps its photo as real mail does; and the team's replies to the demo's
customers are taken off the outbox as sent. Chat, app, social and phone arrivals are
written through the store's protocol, as they are through a team server.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cstui import locations
from cstui.demo.live_mail import Mailboxes
from cstui.domain.model import Category, Channel, Priority, Ticket
from cstui.domain.templates import fill, ticket_values
from cstui.store.base import HelpdeskStore, NewTicket, View
from cstui.store.sql import SqlStore

CALM_PER_MINUTE = 6.0
PEAK_FACTOR = 8.0
PEAK_AT = 0.3  # where in the cycle the sale opens
CYCLE_SECONDS = 600.0
NEW_TICKET_SHARE = 0.65
ANSWER_SHARE = 0.5  # follow-ups that answer our mail, while there is mail to answer
NEW_SENDER_SHARE = 0.3  # new mail from someone who never wrote before
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
        self.mailboxes: Mailboxes | None = None  # on a local store, once it is open

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
        """One arrival: a new ticket or a customer's follow-up; errors never stop the feed.

        Returns the new ticket (a `Ticket`), or what the follow-up wrote."""
        try:
            pool = store.list_tickets(View.ALL_OPEN, actor=None, limit=100).items
            if not pool:
                return None
            mail = self._mail(store)
            base = self.rng.choice(pool)
            channel = self.rng.choice(CHANNELS)
            if self.rng.random() < NEW_TICKET_SHARE:
                if channel is Channel.EMAIL and mail is not None:
                    result: Any = self._new_mail(store, mail, base)
                else:
                    result = store.create_ticket(self._new_ticket(base, channel))
            else:
                base, channel = self._answering(mail, pool, base, channel)
                if channel is Channel.EMAIL and mail is not None:
                    # Mail comes from an address: a customer without one chats instead.
                    channel = Channel.EMAIL if base.customer.email else Channel.CHAT
                if channel is Channel.EMAIL and mail is not None:
                    result = self._mail_again(mail, base)
                else:
                    text = self.rng.choice(FOLLOW_UPS)
                    result = store.customer_message(base.id, text=text, channel=channel)
            self.written += 1
            return result
        except Exception:  # a busy store or a rule refusing: skip this arrival
            return None

    def _mail(self, store: HelpdeskStore) -> Mailboxes | None:
        """The customers' mailboxes, on a local store (mail is taken in by the store's
        `ingest`, which a team server does not offer), with the team's mail collected."""
        if not isinstance(store, SqlStore):
            return None
        if self.mailboxes is None or self.mailboxes.store is not store:
            self.mailboxes = Mailboxes(store, store.rules.channels, store.clock, self.rng)
        self.mailboxes.collect()
        return self.mailboxes

    def _answering(
        self, mail: Mailboxes | None, pool: Sequence[Ticket], base: Ticket, channel: Channel
    ) -> tuple[Ticket, Channel]:
        """Customers who got our mail about an open ticket often answer it, by mail."""
        if mail is None or self.rng.random() >= ANSWER_SHARE:
            return base, channel
        answerable = [t for t in pool if t.id in mail.received and t.customer.email]
        if not answerable:
            return base, channel
        return self.rng.choice(answerable), Channel.EMAIL

    def _new_mail(self, store: HelpdeskStore, mail: Mailboxes, base: Ticket) -> Any:
        """A new mail, from a customer who has an address or from someone new; a new ticket
        unless it threads into one of theirs (the same subject within the thread window)."""
        scenario, values = self.rng.choice(self.scenarios), _values(base)
        name, address = base.customer.name, base.customer.email
        if not address or self.rng.random() < NEW_SENDER_SHARE:
            name, address = mail.new_sender()
            values["customer_name"] = name
        subject = fill(scenario.subject["zh"], values).text
        body = fill(scenario.first["zh"], values).text
        outcome = mail.deliver(mail.new_mail(name, address, subject, body))
        if outcome.created and outcome.ticket_id is not None:
            return store.get_ticket(outcome.ticket_id, with_messages=False)
        return outcome

    def _mail_again(self, mail: Mailboxes, base: Ticket) -> Any:
        """The ticket's customer writes again by mail: an answer to ours, or tagged."""
        name, address = base.customer.name, base.customer.email or ""  # `arrive` checked
        return mail.deliver(mail.answer(base.id, name, address, base.subject))

    def _new_ticket(self, base: Ticket, channel: Channel) -> NewTicket:
        scenario = self.rng.choice(self.scenarios)
        lang = "en" if self.rng.random() < 0.1 else "zh"
        values = _values(base)
        return NewTicket(
            customer_id=base.customer.id,
            subject=fill(scenario.subject[lang], values).text,
            body=fill(scenario.first[lang], values).text,
            channel=channel,
            category=scenario.category,
            priority=Priority.HIGH if self.rng.random() < 0.2 else Priority.NORMAL,
            order_number=base.order.number if base.order else None,
        )
