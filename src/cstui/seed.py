"""A deterministic demo world: agents, customers, orders and a million tickets in minutes.

`cstui seed` fills an empty store with a plausible after-Double-11 backlog: customers with
orders and tiers, tickets on every channel in every state, replies and notes, escalations,
transfers, complaints, follow-ups and satisfaction answers, and the event log that tells the
same story, so that metrics computed from the log agree with the rows.

Why it is built the way it is:

- Deterministic. Every random choice comes from a `random.Random` seeded from `seed` (one
  stream for customers, one for the ticket plan, one per chunk of tickets) and the clock is
  `now`, never the wall clock: the same seed and `now` give byte-identical exports, whatever
  the number of worker processes.
- Rows, not store calls. Creating a million tickets through the store's write methods would
  take hours; instead each ticket's story is replayed here with the same domain rules
  (`cstui.domain.sla`, `tiers`, `complaints`, `escalation`) and turned into the rows and
  events those write methods would have produced (see `_Story`).
- Fast. A cheap sequential pass (`_Planner`) decides what couples tickets together
  (customer, order, status, first owner, returning-customer routing, second complaints,
  links); the costly per-ticket stories are then independent, so chunks of them are built
  on every core while one writer inserts them in order. Story time is integer epoch seconds
  (formatted from a table) because datetime arithmetic and `isoformat` dominated the cost.
  On SQLite the writer uses the raw DB-API cursor and drops the secondary indexes during the
  load, recreating them from the catalogue's own DDL (the schema stays exactly alembic's);
  PostgreSQL gets SQLAlchemy Core executemany.
- Bounded memory. Cross-ticket facts live in compact `array`s (about 40 bytes per ticket);
  rows are built and written one chunk at a time.
- Written by people. Names, addresses, phones, carriers and products come from
  `fixtures/people.json` and `products.json`; what customers and agents write comes from the
  hand-written conversations of `fixtures/scenarios.json`. Each ticket plays a scenario of
  its category that fits what the plan and its story say about it (complaint and its cause,
  second complaint, VIP, a department, the green channel, the goods), in the customer's
  language (about one customer in ten writes in English), its placeholders filled from the
  ticket's own rows. The story decides when someone writes; the scenario, what they say.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import multiprocessing.util
import os
import sqlite3
from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import accumulate, chain
from math import exp as _exp
from math import log as _log
from random import Random
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import Engine, insert, text

from cstui import locations
from cstui.domain import complaints, escalation, events, sla
from cstui.domain.model import (
    TIER_RANK,
    Category,
    Channel,
    ComplaintCause,
    Department,
    EscalationState,
    EventKind,
    GoodsType,
    MessageKind,
    Priority,
    ResolutionCode,
    Role,
    Shift,
    SlaDue,
    Status,
    Tier,
)
from cstui.domain.rules import Rules
from cstui.domain.templates import KNOWN_PLACEHOLDERS, PLACEHOLDER
from cstui.domain.tiers import CustomerStats, classify, spend_cutoff
from cstui.errors import BadInput
from cstui.search.segment import SEPARATOR, index_text
from cstui.store import rows as R
from cstui.store import ticket_index
from cstui.store.fresh import require_empty
from cstui.store.schema import (
    AGENTS,
    CUSTOMERS,
    ESCALATIONS,
    EVENTS,
    LINKS,
    MESSAGES,
    ORDERS,
    TICKETS,
    TRANSFERS,
)
from cstui.store.sql import SqlStore
from cstui.store.ticket_index import TicketDoc

DEFAULT_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, after Double 11
CHUNK = 5000  # tickets per chunk: one transaction, one unit of parallel work
PARALLEL_FROM = 20_000  # below this, forking costs more than it saves
_DAY = 86_400

Progress = Callable[[int, int], None]
T = TypeVar("T")

# ---------------------------------------------------------------------------------------
# Vocabulary: how each kind of request is handled, and the seed's own short texts
# ---------------------------------------------------------------------------------------

# Names, places, carriers, products and the conversations themselves come from the
# hand-written fixtures (see "Fixtures" below); what is here is the story's own machinery.


@dataclass(frozen=True)
class _Handling:
    """How one category of request usually ends, and who helps."""

    codes: tuple[str, ...]  # resolution codes, the usual outcome first
    departments: tuple[Department, ...]
    escalate: float  # the share of these tickets that need a department


_RC = ResolutionCode
_D = Department
_HANDLING: dict[Category, _Handling] = {
    Category.LOGISTICS: _Handling(
        (_RC.INFO_PROVIDED, _RC.SOLVED), (_D.LOGISTICS, _D.WAREHOUSE), 0.03
    ),
    Category.ADDRESS: _Handling((_RC.SOLVED,), (_D.LOGISTICS, _D.WAREHOUSE), 0.02),
    Category.RETURN: _Handling(
        (_RC.REPLACED, _RC.REFUNDED, _RC.REJECTED), (_D.WAREHOUSE, _D.QC, _D.LOGISTICS), 0.35
    ),
    Category.REFUND: _Handling((_RC.REFUNDED, _RC.REJECTED), (_D.FINANCE, _D.WAREHOUSE), 0.30),
    Category.REPAIR: _Handling((_RC.REPAIRED, _RC.REPLACED), (_D.REPAIR, _D.QC), 0.50),
    Category.PARTS: _Handling((_RC.REPLACED, _RC.SOLVED), (_D.REPAIR, _D.WAREHOUSE), 0.50),
    Category.INVOICE: _Handling((_RC.SOLVED, _RC.INFO_PROVIDED), (_D.FINANCE,), 0.25),
    Category.PROMOTION: _Handling(
        (_RC.INFO_PROVIDED, _RC.COMPENSATED, _RC.REJECTED), (_D.MARKETING,), 0.20
    ),
    Category.PRODUCT: _Handling((_RC.INFO_PROVIDED,), (_D.QC, _D.TECH), 0.10),
    Category.ACCOUNT: _Handling((_RC.SOLVED,), (_D.TECH, _D.FINANCE), 0.30),
    Category.COMPLAINT: _Handling(
        (_RC.COMPENSATED, _RC.SOLVED, _RC.REJECTED), (_D.SUPERVISOR, _D.QC), 0.60
    ),
}
_CATEGORIES = tuple(_HANDLING)
_HANDLING_LIST = tuple(_HANDLING.values())
_CAT_S = tuple(c.value for c in _CATEGORIES)
_COMPLAINT_CAT = _CATEGORIES.index(Category.COMPLAINT)
_BASIC_CATS = frozenset(_CATEGORIES.index(c) for c in (Category.LOGISTICS, Category.ADDRESS))
# Requests on fresh food or medical devices that go to the green channel (绿色通道).
_GREEN_ESC_CATS = frozenset(
    _CATEGORIES.index(c)
    for c in (Category.RETURN, Category.REFUND, Category.REPAIR, Category.PARTS, Category.COMPLAINT)
)
_ORDER_SHARE = {Category.PRODUCT: 0.2, Category.PROMOTION: 0.3, Category.ACCOUNT: 0.15}

# (Chinese, English) texts the story falls back on once a scenario has no fitting turn left
# (see `_Story._say`): the conversation stays in the customer's language.
Text = tuple[str, str]
_CHASES: tuple[Text, ...] = (
    ("还有人处理吗？", "Is anyone looking at this?"),
    ("请尽快回复，谢谢。", "Please reply as soon as you can, thanks."),
    ("催一下，今天能解决吗？", "Just chasing: can this be sorted out today?"),
    ("有进展了吗？", "Any update on this?"),
)
_FOLLOWS: tuple[Text, ...] = (
    ("好的，我再等等。", "OK, I'll wait a bit longer."),
    ("收到，谢谢。", "Got it, thank you."),
    ("还是没有解决，请再看看。", "It still isn't solved, please take another look."),
    ("好的，谢谢。接下来怎么处理？", "OK, thanks. What happens next?"),
)
_REPLIES: tuple[Text, ...] = (
    (
        "您好，这边一直在为您跟进，有进展会第一时间通知您。",
        "Hello, I am following this up and will tell you as soon as there is news.",
    ),
    ("已收到您的消息，正在为您核实，请稍候。", "Thanks for your message, I am checking it now."),
    (
        "已为您登记，处理结果会短信通知您，请留意查收。",
        "I have logged it for you; the outcome will come to you by text message.",
    ),
    (
        "感谢您的耐心等待，还有其他问题随时联系我。",
        "Thank you for your patience. Contact me any time if there is anything else.",
    ),
)
_NOTES: tuple[Text, ...] = (
    ("已联系仓库核实，等待回复。", "Asked the warehouse to check, waiting for their answer."),
    ("客户情绪较激动，已安抚。", "The customer was upset; calmed them down."),
    ("已在系统中备注，明早跟进。", "Noted in the system, follow up tomorrow morning."),
    ("已同步质检部，今日16:00同步会确认。", "Passed to QC, to confirm at today's 16:00 sync."),
    ("已致电快递员，等待回电。", "Called the courier, waiting for a call back."),
)
_ESC_REASONS = (
    "需要仓库确认退货入库",
    "质检结果待确认",
    "物流异常需要快递公司核实",
    "需要财务审批退款",
    "系统故障导致支付异常",
    "促销规则需要市场部解释",
    "客户要求超出权限的补偿",
    "配件需要调配",
)
_ACK_NOTES = ("已收到，处理中", "今天16:00同步会反馈", "已安排专人跟进")
_DONE_NOTES = ("已处理完毕", "退货已入库并登记", "已完成审批")
_REJECT_NOTES = ("不符合政策，驳回", "信息不完整，请补充后再提")
_TRANSFER_REASONS = (
    "需要退款权限",
    "客户要求英文服务",
    "交接班，转给晚班同事",
    "涉及大客户，转给资深客服",
)
_FOLLOW_UP_NOTES = ("已回访，客户表示满意", "已回访，客户接受补偿方案", "回访未接通，已短信告知")
_GREEN_REASONS = ("生鲜商品变质，需两小时内处理", "医疗设备故障，客户急用")
_STEAL_REASON = "客户要求主管处理"
_DENY_NOTE = "请先自行处理"

_GOODS = (
    GoodsType.GENERAL,
    GoodsType.ELECTRONICS,
    GoodsType.APPAREL,
    GoodsType.FRESH,
    GoodsType.MEDICAL,
)
_GOODS_S = tuple(g.value for g in _GOODS)
_FRESH, _MEDICAL = 3, 4
_GOODS_PRICE = (180.0, 1500.0, 260.0, 120.0, 900.0)  # a typical amount per goods type
_TIERS = tuple(Tier)
_TIER_S = tuple(t.value for t in _TIERS)
_TIER_INDEX = {t.value: n for n, t in enumerate(_TIERS)}

# Ticket statuses by index; the plan stores indexes, the story turns them into words.
_NEW, _OPEN, _PENDING, _ON_HOLD, _RESOLVED, _CLOSED = range(6)
_STATUSES = (
    Status.NEW,
    Status.OPEN,
    Status.PENDING,
    Status.ON_HOLD,
    Status.RESOLVED,
    Status.CLOSED,
)
_STATUS_S = tuple(s.value for s in _STATUSES)
# Status shares by age in days: the recent surge is mostly open work, the old tail closed.
_STATUS_BY_AGE = (
    (1, (76, 11, 4, 4, 5, 0)),
    (3, (70, 11, 5, 4, 8, 2)),
    (10, (60, 10, 6, 5, 11, 8)),
    (30, (3, 3, 2, 2, 15, 75)),
    (10**6, (0.5, 0.5, 0.5, 0.5, 3, 95)),
)
# A floor that keeps up (the demo's, `live=True`): the open work is the last hours' and
# days' (most of it taken), everything older is done, so deadlines are near, not weeks past.
_STATUS_BY_AGE_LIVE = (
    (2 / 24, (55, 30, 5, 2, 8, 0)),
    (8 / 24, (12, 45, 15, 5, 20, 3)),
    (1, (3, 30, 20, 7, 30, 10)),
    (3, (0.3, 6, 8, 4, 30, 51.7)),
    (30, (0, 0.3, 0.5, 0.4, 8, 90.8)),
    (10**6, (0, 0.05, 0.05, 0.1, 2, 97.8)),
)
# Arrivals as (from age, to age in days, share of tickets): a steady autumn, then Double 11.
_ARRIVALS = ((120, 10, 0.45), (10, 9, 0.08), (9, 7, 0.15), (7, 0, 0.32))

# The words the story keeps as plain strings (cheaper to bind and to pickle), as the event
# payloads name them.
_CHANNELS = {c.value: c for c in Channel}
_CODES = {c.value: c for c in ResolutionCode}
_KIND_OF = {cls: cls.KIND.value for cls in events.PAYLOADS.values()}  # by class: cheap
_CUSTOMER, _REPLY, _NOTE = (
    MessageKind.CUSTOMER.value,
    MessageKind.REPLY.value,
    MessageKind.NOTE.value,
)
_REQUESTED, _ACKNOWLEDGED, _DONE, _REJECTED = (s.value for s in EscalationState)


class _Pick(Generic[T]):
    """A weighted choice by bisection: several times cheaper than `Random.choices`."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: Random) -> T:
        i = bisect_right(self.cum, rng.random() * self.total)
        return self.items[min(i, len(self.items) - 1)]


_PICK_CATEGORY = _Pick(range(len(_CATEGORIES)), (24, 6, 16, 14, 5, 3, 5, 8, 10, 4, 1.4))
_PICK_CHANNEL = _Pick(
    (
        Channel.CHAT.value,
        Channel.PHONE.value,
        Channel.APP.value,
        Channel.EMAIL.value,
        Channel.SOCIAL.value,
    ),
    (40, 20, 20, 10, 10),
)
_PICK_GOODS = _Pick(range(len(_GOODS)), (40, 22, 26, 8, 4))
_PICK_CAUSE = _Pick(tuple(c.value for c in ComplaintCause), (25, 20, 30, 15, 10))
_PRIORITIES = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)
_PICK_PRIORITY_VIP = _Pick(_PRIORITIES, (8, 30, 52, 10))
_PICK_PRIORITY = _Pick(_PRIORITIES, (4, 16, 62, 18))
_PICK_ROUNDS_DONE = _Pick((0, 1, 2, 3), (45, 35, 15, 5))
_PICK_ROUNDS_OPEN = _Pick((0, 1, 2), (60, 30, 10))
_PICK_SCORE = _Pick((1, 2, 3, 4, 5), (1.2, 2.3, 6.5, 28, 62))
_PICK_SCORE_UNHAPPY = _Pick((1, 2, 3, 4, 5), (15, 20, 25, 25, 15))
_StatusTable = tuple[tuple[float, _Pick[int]], ...]


def _status_table(shares: tuple[tuple[float, tuple[float, ...]], ...]) -> _StatusTable:
    return tuple((limit, _Pick(range(6), weights)) for limit, weights in shares)


_PICK_STATUS = _status_table(_STATUS_BY_AGE)
_PICK_STATUS_LIVE = _status_table(_STATUS_BY_AGE_LIVE)

# ---------------------------------------------------------------------------------------
# Small fast helpers
# ---------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HMS = tuple(
    f"{h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)
)
_DAY_PREFIX: dict[int, str] = {}


def _fmt_text(ts: int) -> str:
    """Epoch seconds as the store's SQLite text (schema.UtcDateTime), from a table."""
    day, rem = divmod(ts, _DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = f"{_EPOCH + timedelta(days=day):%Y-%m-%dT}"
    return prefix + _HMS[rem]


def _fmt_datetime(ts: int) -> datetime:
    """PostgreSQL gets datetimes; SQLite the text of `_fmt_text`."""
    return datetime.fromtimestamp(ts, UTC)


def _iso_text(d: datetime) -> str:
    """An aware datetime as the store's SQLite text; whole UTC seconds from the table."""
    if d.tzinfo is UTC and not d.microsecond:
        return _fmt_text(int(d.timestamp()))
    return d.astimezone(UTC).isoformat(timespec="microseconds")[:26]


def _same(d: datetime) -> datetime:
    return d


@lru_cache(maxsize=1024)
def _q(value: str) -> str:
    """A JSON string, as the store's `json.dumps(..., ensure_ascii=False)` writes it (the
    texts are a few constants, so each is encoded once)."""
    return json.dumps(value, ensure_ascii=False)


# Per-purpose offsets to `_splitmix`'s input (ids stay far below 2**40): without them, with
# seed 0, a customer's name, phone and address, and their first order's tracking number,
# would all be drawn from the same bits.
_FOR_CONTACT, _FOR_ADDRESS, _FOR_SHIPPING = (k << 40 for k in range(1, 4))


def _splitmix(x: int) -> int:
    """A 64-bit mix: per-entity details (names, phones) without holding them in memory."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def customer_name(seed: int, customer_id: int) -> str:
    """The customer's name, the same on every call: Chinese (a surname by how common it is,
    and one or two given characters or a common given name), or, for the customers who
    write in English, an English one."""
    return _name(_customer_hash(seed, customer_id))


def customer_lang(seed: int, customer_id: int) -> str:
    """The customer's language: "en" for about one in ten, who write in English; else "zh"."""
    return "en" if _writes_english(_customer_hash(seed, customer_id)) else "zh"


def _customer_hash(seed: int, customer_id: int) -> int:
    """The bits a customer's name and language are drawn from."""
    return _splitmix(seed * 1_000_003 + customer_id)


def _writes_english(h: int) -> bool:
    return (h >> 48) % 10 == 0


def _name(h: int) -> str:
    people, sex = _people(), (h >> 36) & 1
    if _writes_english(h):
        given, surnames = people.en_given[sex], people.en_surnames
        return f"{given[(h >> 8) % len(given)]} {surnames[(h >> 24) % len(surnames)]}"
    cum = people.surname_cum
    surname = people.surnames[bisect_right(cum, (h >> 21) % cum[-1])]
    form, chars, leads = (h >> 40) % 6, people.given_chars[sex], people.given_leads[sex]
    if form < 2:
        return surname + chars[h % len(chars)]
    if form < 4:
        return surname + leads[h % len(leads)] + chars[(h >> 8) % len(chars)]
    names = people.given_names[sex]
    return surname + names[h % len(names)]


def order_number(order_id: int, placed_ts: int) -> str:
    """SO + the order's date in Shanghai + a scrambled serial, unique for every order id."""
    local_day = _fmt_text(placed_ts + 8 * 3600)
    n = order_id - 1
    low = (n % 1_000_000) * 7919 % 1_000_000
    high = n // 1_000_000
    serial = f"{high}{low:06d}" if high else f"{low:06d}"
    return f"SO{local_day[0:4]}{local_day[5:7]}{local_day[8:10]}{serial}"


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# ---------------------------------------------------------------------------------------
# Fixtures: people, products and scenarios, read once per process
# ---------------------------------------------------------------------------------------

# `seed_store` reads the fixtures before it forks, so its workers inherit them parsed.

_CUSTOMER_TURN, _AGENT_TURN, _NOTE_TURN = range(3)
_TURN_KINDS = {"customer": _CUSTOMER_TURN, "agent": _AGENT_TURN, "note": _NOTE_TURN}
# A scenario's turn with how many of the customer's and of the agent's turns come before
# it: it is said only once they were, so an answer never comes before its question.
_Step = tuple[Text, int, int]
_ORDER_FACTS = frozenset({"order_id", "tracking_no", "refund_amount"})
_COUPON_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
_ADDRESS_RANGES = ("street_number", "building", "unit", "floor", "room_on_floor")


@dataclass(frozen=True)
class _Carrier:
    names: Text  # (Chinese, English)
    numbers: str  # its tracking numbers' format: a prefix and so many digits
    span: int  # 10 ** the number of digits
    cold_chain: bool


@dataclass(frozen=True)
class _People:
    """people.json, shaped for picking by hash bits."""

    surnames: tuple[str, ...]
    surname_cum: tuple[int, ...]  # cumulative weights, in hundredths
    given_chars: tuple[tuple[str, ...], ...]  # by sex
    given_leads: tuple[tuple[str, ...], ...]  # first of two characters: also the neutral ones
    given_names: tuple[tuple[str, ...], ...]  # two-character names, by sex
    en_given: tuple[tuple[str, ...], ...]
    en_surnames: tuple[str, ...]
    cities: tuple[tuple[str, tuple[str, ...]], ...]  # (province and city, districts)
    streets: tuple[str, ...]
    communities: tuple[str, ...]
    offices: tuple[str, ...]
    ranges: dict[str, tuple[int, int]]  # street number, building, unit, floor, room
    mobile_prefixes: tuple[str, ...]
    carriers: tuple[_Carrier, ...]
    cold_chain: tuple[_Carrier, ...]  # the carriers fresh food ships with
    agents: tuple[Text, ...]  # (name, English name)
    supervisors: tuple[tuple[Text, Shift], ...]  # the first of each shift


@dataclass(frozen=True)
class _Scenario:
    """One hand-written conversation, compiled for matching and filling."""

    key: str
    category: int
    goods: int
    specific: bool  # about particular goods: named products, fresh food, medical devices
    english: bool  # written for a customer who writes in English
    green: bool
    vip: bool
    cause: str | None
    second: bool
    escalates: bool
    needs: frozenset[str]  # the placeholders it uses
    needs_order: bool  # names the order's number, tracking number or amount
    subject: Text
    steps: tuple[tuple[_Step, ...], ...]  # the customer's, the agent's and the note turns
    products: tuple[tuple[Text, ...], ...]  # the products it may name, by order goods + 1


@dataclass(frozen=True)
class _Fixtures:
    people: _People
    by_category: tuple[tuple[_Scenario, ...], ...]  # by category index


def _read(name: str) -> Any:
    return json.loads((locations.fixtures_dir() / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _fixtures() -> _Fixtures:
    """The fixtures, parsed and checked on first use, then kept for the process."""
    products = [(_pair(p["name"]), _GOODS_S.index(p["goods_type"])) for p in _read("products.json")]
    scenarios = [_scenario(s, products) for s in _read("scenarios.json")]
    by_category = tuple(
        tuple(s for s in scenarios if s.category == c) for c in range(len(_CATEGORIES))
    )
    for c, group in enumerate(by_category):  # any customer can play one (see `_narrow`)
        if not any(not (s.english or s.vip or s.second or s.green) for s in group):
            raise ValueError(f"fixtures/scenarios.json: no everyday scenario for {_CAT_S[c]}")
    return _Fixtures(_people_of(_read("people.json")), by_category)


@lru_cache(maxsize=1)  # called for every name, address and parcel
def _people() -> _People:
    return _fixtures().people


def _pair(text: dict[str, str]) -> Text:
    return text["zh"], text["en"]


def _people_of(raw: dict[str, Any]) -> _People:
    zh, en, address = raw["zh"], raw["en"], raw["address"]
    neutral = tuple(zh["given_chars"]["neutral"])
    carriers = tuple(_carrier(c) for c in raw["carriers"])
    return _People(
        surnames=tuple(s["name"] for s in zh["surnames"]),
        surname_cum=tuple(accumulate(round(s["weight"] * 100) for s in zh["surnames"])),
        given_chars=tuple(tuple(zh["given_chars"][sex]) for sex in ("male", "female")),
        given_leads=tuple((*neutral, *zh["given_chars"][sex]) for sex in ("male", "female")),
        given_names=tuple(tuple(zh["given_names"][sex]) for sex in ("male", "female")),
        en_given=tuple(tuple(en["given"][sex]) for sex in ("male", "female")),
        en_surnames=tuple(en["surnames"]),
        cities=tuple(
            (c["province"] + ("" if c["municipality"] else c["city"]), tuple(c["districts"]))
            for c in raw["cities"]
        ),
        streets=tuple(address["streets"]),
        communities=tuple(address["communities"]),
        offices=tuple(address["offices"]),
        ranges={k: (address[k][0], address[k][1]) for k in _ADDRESS_RANGES},
        mobile_prefixes=tuple(raw["mobile_prefixes"]),
        carriers=carriers,
        cold_chain=tuple(c for c in carriers if c.cold_chain),
        agents=tuple((a["name"], a["name_en"]) for a in raw["agents"]),
        supervisors=_supervisors_of(raw["supervisors"]),
    )


def _carrier(raw: dict[str, Any]) -> _Carrier:
    prefix, digits = raw["tracking"]["prefix"], raw["tracking"]["digits"]
    return _Carrier(_pair(raw), f"{prefix}{{:0{digits}d}}", 10**digits, raw["cold_chain"])


def _supervisors_of(raw: list[dict[str, Any]]) -> tuple[tuple[Text, Shift], ...]:
    """The first supervisor of each shift: the seed has one per shift."""
    first: dict[Shift, Text] = {}
    for s in raw:
        first.setdefault(Shift(s["shift"]), (s["name"], s["name_en"]))
    return tuple((first[shift], shift) for shift in (Shift.MORNING, Shift.EVENING, Shift.NIGHT))


def _scenario(raw: dict[str, Any], products: list[tuple[Text, int]]) -> _Scenario:
    """A scenario as the story uses it; placeholders are checked so that filling them
    (`str.format_map`) can never fail or leave one behind."""
    subject = _pair(raw["subject"])
    turns = [(_TURN_KINDS[t["from"]], _pair(t)) for t in raw["thread"]]
    texts = [subject, *(words for _, words in turns)]
    names = set().union(*(_placeholders_of(raw["key"], words) for words in texts))
    goods = _GOODS_S.index(raw["goods_type"])
    named = [(name, g) for name, g in products if name[0] in raw["products"]]
    return _Scenario(
        key=raw["key"],
        category=_CAT_S.index(raw["category"]),
        goods=goods,
        specific=bool(named) or goods >= _FRESH,
        english=raw["customer_lang"] == "en",
        green=raw["green_channel"],
        vip=raw["vip"],
        cause=raw["complaint_cause"],
        second=raw["second_complaint"],
        escalates=raw["escalate_to"] is not None,
        needs=frozenset(names),
        needs_order=bool(names & _ORDER_FACTS),
        subject=subject,
        steps=_steps(turns),
        products=tuple(_products_for(g, goods, named, products) for g in range(-1, len(_GOODS))),
    )


def _steps(turns: list[tuple[int, Text]]) -> tuple[tuple[_Step, ...], ...]:
    """The turns by kind, each with the customer's and agent's turns before it."""
    steps: list[list[_Step]] = [[] for _ in _TURN_KINDS]
    for i, (kind, words) in enumerate(turns):
        before = [k for k, _ in turns[:i]]
        steps[kind].append((words, before.count(_CUSTOMER_TURN), before.count(_AGENT_TURN)))
    return tuple(tuple(s) for s in steps)


def _placeholders_of(key: str, text: Text) -> set[str]:
    names = set()
    for t in text:
        found = PLACEHOLDER.findall(t)
        bare = PLACEHOLDER.sub("", t)
        if not set(found) <= KNOWN_PLACEHOLDERS or "{" in bare or "}" in bare:
            raise ValueError(f"fixtures/scenarios.json: {key}: unknown placeholder in {t!r}")
        names.update(found)
    return names


def _products_for(
    order_goods: int, goods: int, named: list[tuple[Text, int]], products: list[tuple[Text, int]]
) -> tuple[Text, ...]:
    """The products a scenario may name for an order of `order_goods` (-1: no order): its
    own named products, those of the order's goods first; else any of the order's goods
    (or the scenario's, without an order)."""
    if named:
        same = tuple(name for name, g in named if g == order_goods)
        return same or tuple(name for name, _ in named)
    wanted = goods if order_goods < 0 else order_goods
    return tuple(name for name, g in products if g == wanted)


class _Flavour(NamedTuple):
    """What a ticket's scenario should fit."""

    category: int
    english: bool
    goods: int  # of its order; -1: no order
    vip: bool
    escalates: bool | None  # None (for both): nobody worked on it yet, so it does not matter
    green: bool | None  # the story escalates it on the green channel
    cause: str | None  # a complaint's
    second: bool


_POOLS: dict[tuple[Any, ...], tuple[_Scenario, ...]] = {}


def _scenario_pool(flavour: tuple[Any, ...]) -> tuple[_Scenario, ...]:
    """The scenarios a ticket of this flavour (`_Flavour`'s fields, as a plain tuple: it is
    made for every ticket) chooses from; kept, as there are few flavours."""
    pool = _POOLS.get(flavour)
    if pool is None:
        pool = _POOLS[flavour] = _narrow(_Flavour(*flavour))
    return pool


def _narrow(f: _Flavour) -> tuple[_Scenario, ...]:
    """The category's scenarios this ticket can play, then narrowed by each preference in
    turn, as long as one is left: a scenario never claims what the ticket is not (a VIP, a
    complaint, a second complaint, spoiling goods, a foreigner's trouble), and it fits the
    ticket as well as the fixtures allow."""
    every = _fixtures().by_category[f.category]
    pool = [
        s
        for s in every
        if (f.english or not s.english)
        and (f.vip or not s.vip)
        and (f.cause or not s.cause)
        and (f.second or not s.second)
        and (f.goods >= _FRESH or not s.green)
    ]
    preferences: tuple[Callable[[_Scenario], bool], ...] = (
        lambda s: f.goods >= 0 or not s.needs_order,  # no order the ticket does not have
        lambda s: s.cause == f.cause,  # the complaint's cause
        lambda s: s.second == f.second,
        lambda s: f.goods < 0 or not s.specific or s.goods == f.goods,  # the order's goods
        lambda s: not f.escalates or s.escalates,  # a department, when the story calls one
        lambda s: f.green is None or s.green == f.green,
        lambda s: s.vip == f.vip,
    )
    for keep in preferences:
        narrower = [s for s in pool if keep(s)]
        if narrower:
            pool = narrower
    return tuple(pool or every)


def _shipping(seed: int, order_id: int, goods: int) -> tuple[_Carrier, str]:
    """An order's carrier (fresh food goes cold-chain) and tracking number, the same in the
    order's row and in the texts about it."""
    people = _people()
    h = _splitmix(seed * 5_555_557 + _FOR_SHIPPING + order_id)
    which = people.cold_chain if goods == _FRESH else people.carriers
    carrier = which[h % len(which)]
    return carrier, carrier.numbers.format((h >> 8) % carrier.span)


def _coupon(bits: int) -> str:
    """Eight characters from 40 bits."""
    return "".join(_COUPON_CHARS[(bits >> (5 * k)) & 31] for k in range(8))


# ---------------------------------------------------------------------------------------
# The world: agents, customers and orders as compact arrays
# ---------------------------------------------------------------------------------------


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
        with multiprocessing.get_context("fork").Pool(min(workers, len(blocks))) as pool:
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
            self.pool = multiprocessing.get_context("fork").Pool(1)
            self.result = self.pool.apply_async(_classify_before_complaints)
            _TIER_INPUT = None

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


# ---------------------------------------------------------------------------------------
# The ticket plan: what must be decided in order, across tickets
# ---------------------------------------------------------------------------------------

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

    def plan(self, n: int) -> _Plan:
        """The facts of tickets 1..n, in order: each depends on the ones before."""
        p = _Plan()
        for i in range(1, n + 1):
            self._one(p, i, n)
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


# ---------------------------------------------------------------------------------------
# Stories: one ticket's life, as rows and events
# ---------------------------------------------------------------------------------------


@dataclass
class _World:
    """Everything a chunk needs; module-global while seeding so forked workers share it."""

    seed: int
    now: datetime
    rules: Rules
    sqlite: bool
    agents: list[_AgentSpec]
    customers: _Customers
    plan: _Plan
    tickets: int
    tiers: Tiers


_WORLD: _World | None = None

# An event payload naming a row of its own chunk: (prefix, table, local index, suffix);
# the writer puts the global id in (ids are only known once earlier chunks are written).
_MSG, _ESC, _TRF = 0, 1, 2
Ref = tuple[str, int, int, str]


@dataclass
class ChunkRows:
    """One chunk's rows, in the column order of `_COLUMNS`."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    escalations: list[tuple[Any, ...]] = field(default_factory=list)
    transfers: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    # (ticket id, customer id, order id, head, body): the search index's costly fields,
    # cut where the chunk is built; the identifiers are added as it is written
    search: list[tuple[int, int, int | None, str, str]] = field(default_factory=list)
    docs: list[TicketDoc] = field(default_factory=list)  # the entries, once completed


class _Story:
    """Replays one ticket through the store's write rules, appending rows and events.

    Each `_do_*` method mirrors one store write (create_ticket, take, add_message, escalate,
    …): the same column changes, the same version bump, the same event kind and payload
    (keys sorted as `sql._json` writes them). Time is epoch seconds, kept below `now`.
    What the customer and the agents write comes from the scenario the ticket plays
    (`_cast`), in the customer's language.
    """

    def __init__(self, w: _World, rng: Random, out: ChunkRows) -> None:
        self.w, self.rng, self.out = w, rng, out
        self.fmt = _fmt_text if w.sqlite else _fmt_datetime
        self.dfmt = _iso_text if w.sqlite else _same
        self.cal, self.policy = w.rules.calendar, w.rules.sla
        self.limit = int(w.now.timestamp()) - 30
        self.names = tuple(a.name for a in w.agents)
        self.signs = (tuple(a.display for a in w.agents), tuple(a.display_en for a in w.agents))
        self.agents = tuple(i for i, a in enumerate(w.agents) if a.role is Role.AGENT)
        self.sups = {a.shift: i for i, a in enumerate(w.agents) if a.role is Role.SUPERVISOR}
        stopped = R.clock_columns(sla.SlaClock(due=SlaDue()))
        self.stopped = (self.dfmt(stopped["due_key"]), stopped["sla_remaining"])
        self.stamps: dict[int, Any] = {}

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
        self.channel = _PICK_CHANNEL(rng)
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

    def _say(self, kind: int, fallback: tuple[Text, ...]) -> str:
        """The scenario's next turn of this kind, filled in, once the turns before it were
        said (see `_Step`); else one of the fallback texts."""
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
        opening = self._say(_CUSTOMER_TURN, _CHASES)  # every scenario opens with the customer
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
        mid = self._message(_CUSTOMER, channel, self.cust_name, body)
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

    # -- the shape of the story --------------------------------------------------------

    def _after(self, mean: float) -> None:
        """Time passes, about `mean` seconds, each step at most half the time left."""
        step = 1 + int(-_log(1.0 - self.rng.random()) * mean)
        room = (self.limit - self.t) // 2
        self.t += min(step, room) if room > 0 else 0

    def _choice(self, options: Sequence[str]) -> str:
        return options[int(self.rng.random() * len(options))]

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

    # -- rows ----------------------------------------------------------------------------

    def _at(self, t: int) -> Any:
        """The column value of a time of this ticket; each is needed several times."""
        value = self.stamps.get(t)
        if value is None:
            value = self.stamps[t] = self.fmt(t)
        return value

    def _message(self, kind: str, channel: str, author: str, body: str) -> int:
        self.out.messages.append((self.tid, kind, channel, author, body, self._at(self.t)))
        return len(self.out.messages) - 1

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


def build_chunk(k: int) -> ChunkRows:
    """Chunk k's tickets (ids k*CHUNK+1 …); each ticket draws from its own random stream,
    so the rows depend neither on the process nor on the chunk size."""
    w = _WORLD
    if w is None:
        raise RuntimeError("seed: build_chunk runs inside seed_store only")
    out = ChunkRows()
    rng = Random()
    story = _Story(w, rng, out)
    for tid in range(k * CHUNK + 1, min(w.tickets, (k + 1) * CHUNK) + 1):
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


# ---------------------------------------------------------------------------------------
# Writing: column lists, one connection per process, indexes dropped during the load
# ---------------------------------------------------------------------------------------

_TICKET_COLS = (
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "category",
    "customer_id",
    "order_id",
    "owner_id",
    "dispatch_count",
    "version",
    "tier",
    "active",
    "green_rank",
    "due_key",
    "tier_rank",
    "open_escalations",
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "sla_paused_at",
    "sla_remaining",
    "first_responded_at",
    "complaint_cause",
    "second_complaint",
    "matter_key",
    "follow_up_due",
    "resolution_code",
    "resolved_at",
    "merged_into",
    "created_at",
    "updated_at",
    "last_activity_at",
)
_COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "agents": (
        AGENTS,
        ("id", "name", "display_name", "role", "shift", "routing_paused", "created_at"),
    ),
    "customers": (
        CUSTOMERS,
        (
            "id",
            "name",
            "phone",
            "email",
            "address",
            "tier",
            "tier_reasons",
            "annual_spend",
            "order_count",
            "complaint_count",
            "created_at",
        ),
    ),
    "orders": (
        ORDERS,
        (
            "id",
            "number",
            "customer_id",
            "amount",
            "goods_type",
            "placed_at",
            "tracking_no",
            "logistics_status",
        ),
    ),
    "tickets": (TICKETS, _TICKET_COLS),
    "messages": (MESSAGES, ("ticket_id", "kind", "channel", "author", "body", "created_at")),
    "escalations": (
        ESCALATIONS,
        (
            "ticket_id",
            "department",
            "reason",
            "state",
            "green",
            "requested_by",
            "created_at",
            "due_at",
            "updated_at",
            "notes",
        ),
    ),
    "transfers": (
        TRANSFERS,
        (
            "ticket_id",
            "from_owner",
            "to_agent",
            "reason",
            "requested_by",
            "state",
            "decided_by",
            "created_at",
            "decided_at",
        ),
    ),
    "ticket_links": (LINKS, ("ticket_id", "other_id")),
    "events": (EVENTS, ("ticket_id", "actor", "at", "kind", "old", "new")),
}
_TABLES = tuple(_COLUMNS)
_N_MSG, _N_ESC, _N_TRF = (_TABLES.index(t) for t in ("messages", "escalations", "transfers"))
# Ids of these tables are handed out in insertion order (SQLite's rowid does it; PostgreSQL
# gets them explicitly), which is what lets event payloads name rows before they exist.
_SERIAL = ("messages", "escalations", "transfers", "events")
# Secondary indexes of these tables are dropped for the load and rebuilt after it, except
# those whose keys arrive in order (by ticket or customer id): appending to them costs less
# than sorting them afterwards.
_LOADED = (
    "customers",
    "orders",
    "tickets",
    "messages",
    "escalations",
    "transfers",
    "events",
    "ticket_search",  # PostgreSQL's GIN indexes: built once after the load
)
_KEPT = frozenset(
    {
        "ix_events_ticket",
        "ix_messages_ticket_id",
        "ix_escalations_ticket_id",
        "ix_transfers_ticket_id",
        "ix_orders_customer_id",
    }
)

Batch = dict[str, list[tuple[Any, ...]]]


class _Sink:
    """One process's connection for inserting batches, one transaction per batch.

    SQLite gets the raw DB-API cursor (measured several times faster than Core's
    executemany here, which spends its time on per-row parameter processing); PostgreSQL
    gets SQLAlchemy Core executemany. `counts` (rows already in each table, by `_TABLES`
    order) gives PostgreSQL the explicit serial ids SQLite's rowid would assign.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.raw: Any = None
        if engine.dialect.name == "sqlite":
            self.raw = engine.raw_connection()
            conn = self.raw.driver_connection
            conn.execute("PRAGMA synchronous = OFF")  # this connection only: a bulk load
            conn.execute("PRAGMA cache_size = -131072")
            conn.execute("PRAGMA foreign_keys = OFF")  # the generator keeps them (tests check)

    def close(self) -> None:
        """Discard the connection rather than pool it: its bulk-load PRAGMAs (no foreign
        keys, no syncing) must never serve the store's own writes."""
        if self.raw is not None:
            self.raw.invalidate()
            self.raw = None

    def execute(self, statements: list[str]) -> None:
        """Run statements (index DDL) in one transaction."""
        if self.raw is None:
            with self.engine.begin() as conn:
                for sql in statements:
                    conn.execute(text(sql))
            return
        self._in_transaction(lambda conn: [conn.execute(sql) for sql in statements])

    def write(self, batch: Batch, counts: Sequence[int]) -> None:
        """One batch, one transaction."""
        if self.raw is not None:
            self._write_sqlite(batch)
        else:
            self._write_core(batch, counts)

    def orders(self, ids: set[int]) -> dict[int, tuple[str, str | None]]:
        """The number and tracking number of these orders (all written before any ticket)."""
        if not ids:
            return {}
        sql = f"SELECT id, number, tracking_no FROM orders WHERE id IN ({','.join(map(str, ids))})"
        if self.raw is not None:
            found = self.raw.driver_connection.execute(sql).fetchall()
        else:
            with self.engine.connect() as conn:
                found = conn.exec_driver_sql(sql).all()
        return {int(i): (n, t) for i, n, t in found}

    def write_index(self, docs: list[TicketDoc]) -> None:
        """The chunk's search entries, in a transaction of their own."""
        if not docs:
            return
        if self.raw is not None:
            rows = [(d.id, d.ids, d.head, d.body) for d in docs]
            sql = "INSERT INTO ticket_fts (rowid, ids, head, body) VALUES (?, ?, ?, ?)"
            self._in_transaction(lambda conn: conn.executemany(sql, rows))
            return
        with self.engine.begin() as conn:
            if conn.dialect.name != "postgresql":
                ticket_index.insert(conn, docs)
                return
            values = [d.pg_values() for d in docs]
            rows = [(v["id"], v["ids"], v["head"], v["doc"]) for v in values]
            _copy(conn, "ticket_search", ("ticket_id", "ids", "head", "doc"), rows)

    def _write_sqlite(self, batch: Batch) -> None:
        def insert_all(conn: sqlite3.Connection) -> None:
            for table, rows in batch.items():
                _insert_many(conn, table, rows)

        self._in_transaction(insert_all)

    def _in_transaction(self, work: Callable[[sqlite3.Connection], Any]) -> None:
        """BEGIN IMMEDIATE: wait for the write lock up front, as the store does."""
        conn = self.raw.driver_connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            work(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite ends it itself on some errors (a full disk)
                conn.execute("ROLLBACK")
            raise

    def _write_core(self, batch: Batch, counts: Sequence[int]) -> None:
        """PostgreSQL: COPY through psycopg (tens of times faster than executemany of
        INSERTs); other dialects: SQLAlchemy Core executemany."""
        with self.engine.begin() as conn:
            for table, rows in batch.items():
                if not rows:
                    continue
                cols = _COLUMNS[table][1]
                if table in _SERIAL:  # the ids SQLite's rowid would give
                    start = counts[_TABLES.index(table)] + 1
                    rows = [(n, *r) for n, r in enumerate(rows, start=start)]
                    cols = ("id", *cols)
                if conn.dialect.name == "postgresql":
                    _copy(conn, table, cols, rows)
                else:
                    target = _COLUMNS[table][0]
                    conn.execute(insert(target), [dict(zip(cols, r, strict=True)) for r in rows])


def _copy(conn: Any, table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """COPY FROM STDIN on the connection's own psycopg cursor (same transaction)."""
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# Narrow rows go in several to a statement: SQLite's per-statement overhead then counts
# once per group (measured: about a third less time per event row).
_GROUPED = {"events": 16, "messages": 16, "ticket_links": 16}


@lru_cache(maxsize=32)
def _insert_sql(table: str, rows: int = 1) -> str:
    cols = _COLUMNS[table][1]
    one = f"({', '.join('?' * len(cols))})"
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([one] * rows)}"


def _insert_many(conn: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    """executemany, `_GROUPED[table]` rows per statement where that pays."""
    k = _GROUPED.get(table, 1)
    full = len(rows) // k * k
    if k > 1 and full:
        flat = [tuple(chain.from_iterable(rows[i : i + k])) for i in range(0, full, k)]
        conn.executemany(_insert_sql(table, k), flat)
        rows = rows[full:]
    if rows:
        conn.executemany(_insert_sql(table), rows)


def _write(sink: _Sink, batch: Batch, counts: Any) -> None:
    """Insert a batch and add its rows to `counts` (a list, or a shared array)."""
    sink.write(batch, counts)
    for table, rows in batch.items():
        counts[_TABLES.index(table)] += len(rows)


class _Indexes:
    """Drops the secondary indexes of the bulk-loaded tables and rebuilds them afterwards.

    Building an index once over the loaded rows is much cheaper than maintaining it row by
    row, and each is recreated from the catalogue's own DDL, so the schema stays exactly
    the migrated one. Unique constraints stay: they are part of their tables.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.dropped: list[tuple[str, str, str]] = []  # (name, table, DDL)
        self.built: set[str] = set()  # rebuilt early, by a job (see `ddl_of`)

    def __enter__(self) -> _Indexes:
        names = ", ".join(f"'{t}'" for t in _LOADED)
        if self.sqlite:
            query = (
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND "
                f"sql IS NOT NULL AND tbl_name IN ({names}) ORDER BY name"
            )
        else:
            query = (
                "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = "
                f"current_schema() AND tablename IN ({names}) AND indexdef NOT LIKE "
                "'CREATE UNIQUE%' ORDER BY indexname"
            )
        with self.engine.begin() as conn:
            found = conn.execute(text(query)).all()
            self.dropped = [(n, t, ddl) for n, t, ddl in found if n not in _KEPT]
            for name, _, _ in self.dropped:
                conn.execute(text(f'DROP INDEX "{name}"'))
        return self

    def ddl_of(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        """The (name, DDL) of the dropped indexes of `tables`."""
        return [(n, ddl) for n, t, ddl in self.dropped if t in tables]

    def __exit__(self, *exc: object) -> None:
        """Rebuild what is missing; after a failure too, so the schema stays as migrated."""
        try:
            with self.engine.begin() as conn:
                for name, _, ddl in self.dropped:
                    if name not in self.built:
                        conn.execute(text(ddl))
        except Exception:
            if exc[0] is None:
                raise
            return  # the seed's own error is the one to report
        if exc[0] is None:
            self._finish()

    def _finish(self) -> None:
        """SQLite: fold the WAL into the file. PostgreSQL: move sequences past the ids and
        ANALYZE, or the planner, blind after a bulk load, sorts whole queues (measured: a
        queue page took 750 ms instead of 8 until autovacuum got round to it). SQLite is not
        analysed here: that would add sqlite_stat1 to the migrated schema."""
        if self.sqlite:
            raw = self.engine.raw_connection()  # outside any transaction, or it cannot
            try:
                driver: Any = raw.driver_connection
                driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            return
        with self.engine.connect() as conn:
            for table in ("agents", "customers", "orders", "tickets", *_SERIAL):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                )
            conn.commit()
            for table in _TABLES:
                conn.execute(text(f"ANALYZE {table}"))
            conn.commit()


# ---------------------------------------------------------------------------------------
# Agents, customers and orders as rows
# ---------------------------------------------------------------------------------------


def _agent_rows(
    specs: list[_AgentSpec], now_ts: int, fmt: Callable[[int], Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """add_agent: the row and AGENT_ADDED, a little over a year before `now`."""
    rows, added = [], []
    for i, a in enumerate(specs):
        at = fmt(now_ts - 400 * _DAY + 60 * i)
        rows.append(
            (i + 1, a.name, a.display, a.role.value, a.shift.value if a.shift else None, 0, at)
        )
        old, new = events.encode(events.AgentAdded(agent=a.name, role=a.role))
        added.append((None, None, at, EventKind.AGENT_ADDED.value, old, new))
    return rows, added


def _address(h: int) -> str:
    """A street address from a customer's hash bits: a home in a residential compound, or
    (one in eight) an office."""
    people = _people()
    place, districts = people.cities[h % len(people.cities)]
    r = people.ranges
    street = (
        f"{place}{districts[(h >> 6) % len(districts)]}"
        f"{people.streets[(h >> 10) % len(people.streets)]}{_within(r['street_number'], h >> 16)}号"
    )
    room = f"{_within(r['floor'], h >> 44)}{_within(r['room_on_floor'], h >> 50):02d}室"
    if (h >> 26) % 8 == 0:
        return f"{street}{people.offices[(h >> 29) % len(people.offices)]}{room}"
    community = people.communities[(h >> 29) % len(people.communities)]
    return (
        f"{street}{community}{_within(r['building'], h >> 35)}栋"
        f"{_within(r['unit'], h >> 41)}单元{room}"
    )


def _within(bounds: tuple[int, int], bits: int) -> int:
    return bounds[0] + bits % (bounds[1] - bounds[0] + 1)


def _contact(seed: int, cid: int) -> tuple[str, str | None]:
    """A mobile number on a real prefix and, for most, an email."""
    h = _splitmix(seed * 7_777_777 + _FOR_CONTACT + cid)
    prefixes = _people().mobile_prefixes
    phone = f"{prefixes[h % len(prefixes)]}{(h >> 8) % 100_000_000:08d}"
    kind = (h >> 40) % 10
    if kind < 5:
        return phone, f"{100_000_000 + (h >> 12) % 900_000_000}@qq.com"
    if kind < 7:
        return phone, f"user{(h >> 20) % 1_000_000}@163.com"
    return phone, None


def _logistics(rng: Random, age: int) -> tuple[str, bool]:
    """Where the parcel is by the order's age, and whether it has a tracking number yet."""
    if age < _DAY // 2:
        return "awaiting_shipment", False
    if age < 4 * _DAY:
        return ("in_transit" if rng.random() < 0.85 else "exception"), True
    roll = rng.random()
    if roll < 0.88:
        return "delivered", True
    return ("returned" if roll < 0.95 else "exception" if roll < 0.98 else "in_transit"), True


def _customer_rows(w: _World, lo: int, hi: int, fmt: Callable[[int], Any]) -> list[tuple[Any, ...]]:
    """Customers lo..hi-1, with their tier as `_Tiers` found it."""
    c, rows = w.customers, []
    for i in range(lo, hi):
        phone, email = _contact(w.seed, i)
        tier, reasons = w.tiers[i - 1]
        where = _address(_splitmix(w.seed * 3_333_331 + _FOR_ADDRESS + i))
        rows.append(
            (
                i,
                customer_name(w.seed, i),
                phone,
                email,
                where,
                tier,
                reasons,
                _spend(c, i),
                c.n_orders[i],
                c.complaints[i],
                fmt(c.created[i]),
            )
        )
    return rows


def _order_rows(
    c: _Customers, seed: int, now_ts: int, fmt: Callable[[int], Any], size: int = 20_000
) -> Iterator[list[tuple[Any, ...]]]:
    """Every order, customer by customer, in batches; tiers play no part in them."""
    rng, batch = Random(seed * 31 + 3), []
    for cid in range(1, len(c.created)):
        first = c.first_order[cid]
        for oid in range(first, first + c.n_orders[cid]):
            placed = c.placed[oid]
            status, shipped = _logistics(rng, now_ts - placed)
            tracking = _shipping(seed, oid, c.goods[oid])[1] if shipped else None
            batch.append(
                (
                    oid,
                    order_number(oid, placed),
                    cid,
                    c.amount[oid],
                    _GOODS_S[c.goods[oid]],
                    fmt(placed),
                    tracking,
                    status,
                )
            )
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def _write_orders(engine: Engine, c: _Customers, seed: int, now_ts: int) -> int:
    """Write every order over a connection of its own; returns how many."""
    fmt = _fmt_text if engine.dialect.name == "sqlite" else _fmt_datetime
    counts = [0] * len(_TABLES)
    sink = _Sink(engine)
    try:
        for batch in _order_rows(c, seed, now_ts, fmt):
            _write(sink, {"orders": batch}, counts)
    finally:
        sink.close()
    return counts[_TABLES.index("orders")]


def _orders_child(engine: Engine, c: _Customers, seed: int, now_ts: int, report: Any) -> None:
    """The forked orders writer: a connection of its own, never the parent's. A failure
    (a full disk) goes back to the parent through `report`, to be raised there."""
    engine.dispose(close=False)  # never use a connection of the parent's
    try:
        _write_orders(engine, c, seed, now_ts)
    except Exception as exc:
        try:
            report.send(exc)
        except Exception:  # an exception that does not pickle: its text, then
            report.send(RuntimeError(f"seed: writing orders failed: {exc}"))
        raise SystemExit(1) from None  # quietly: the parent tells


class _Orders:
    """Orders depend on customers only, so on SQLite a forked process writes them while
    this one plans the tickets; PostgreSQL, which checks foreign keys as rows arrive,
    writes them once the customers are in."""

    def __init__(
        self, engine: Engine, c: _Customers, seed: int, now_ts: int, parallel: bool
    ) -> None:
        self.args = (engine, c, seed, now_ts)
        self.process: Any = None
        if parallel and engine.dialect.name == "sqlite":
            ctx = multiprocessing.get_context("fork")
            self.failure, report = ctx.Pipe(duplex=False)
            self.process = ctx.Process(target=_orders_child, args=(*self.args, report), daemon=True)
            self.process.start()
            report.close()  # the child's end

    def finish(self) -> int:
        """Wait for the orders (or write them now); returns how many were written."""
        c = self.args[1]
        if self.process is None:
            return _write_orders(*self.args)
        self.process.join()
        if self.process.exitcode != 0:
            if self.failure.poll():
                raise self.failure.recv()
            raise RuntimeError(f"seed: writing orders failed (exit {self.process.exitcode})")
        return len(c.placed) - 1


# ---------------------------------------------------------------------------------------
# Turn-ordered jobs: customers, then ticket chunks, built in parallel, written in order
# ---------------------------------------------------------------------------------------

CUSTOMER_JOB = 50_000  # customers per job
# ("customers", first id, end id), ("indexes", 0, 0) or ("tickets", chunk, 0)
Job = tuple[str, int, int]
_EARLY_INDEXED = ("customers", "orders")  # complete before the tickets: indexed at once


def _jobs(w: _World) -> list[Job]:
    """Customers, then the indexes of customers and orders (built while the first ticket
    chunks are being generated), then the ticket chunks."""
    n = len(w.customers.created)
    jobs: list[Job] = [
        ("customers", lo, min(n, lo + CUSTOMER_JOB)) for lo in range(1, n, CUSTOMER_JOB)
    ]
    jobs.append(("indexes", 0, 0))
    return jobs + [("tickets", k, 0) for k in range(math.ceil(w.tickets / CHUNK))]


def _resolve_refs(
    events: list[tuple[Any, ...]], bases: tuple[int, int, int]
) -> list[tuple[Any, ...]]:
    """Event payloads naming a message, escalation or transfer get its global id."""
    out = []
    for e in events:
        new = e[5]
        if type(new) is tuple:
            prefix, table, local, suffix = new
            e = (*e[:5], f"{prefix}{bases[table] + local + 1}{suffix}")
        out.append(e)
    return out


_EARLY_DDL: list[tuple[str, str]] = []  # the ("indexes", …) job's (name, DDL)

Built = ChunkRows | Batch | list[tuple[str, str]]


def _build(job: Job) -> Built:
    """A job's rows (or DDL), built wherever the job runs."""
    w = _WORLD
    if w is None:
        raise RuntimeError("seed: jobs run inside seed_store only")
    kind, a, b = job
    if kind == "customers":
        return {"customers": _customer_rows(w, a, b, _fmt_text if w.sqlite else _fmt_datetime)}
    if kind == "indexes":
        return list(_EARLY_DDL)
    return build_chunk(a)


def _write_built(sink: _Sink, built: Built, counts: Any) -> int:
    """Write a job's rows (or build its indexes); ticket payloads learn their ids from the
    rows before them. Returns the number of tickets written."""
    if isinstance(built, list):
        sink.execute([ddl for _, ddl in built])
        return 0
    if not isinstance(built, ChunkRows):
        _write(sink, built, counts)
        return 0
    bases = (counts[_N_MSG], counts[_N_ESC], counts[_N_TRF])
    _write(
        sink,
        {
            "tickets": built.tickets,
            "messages": built.messages,
            "escalations": built.escalations,
            "transfers": built.transfers,
            "ticket_links": built.links,
            "events": _resolve_refs(built.events, bases),
        },
        counts,
    )
    sink.write_index(built.docs or _index_rows(sink, built.search))
    return len(built.tickets)


def _index_rows(sink: _Sink, cut: list[tuple[int, int, int | None, str, str]]) -> list[TicketDoc]:
    """The chunk's index entries: the identifiers (orders as written, so read back: every
    order is written before the first ticket job runs) joined to the fields cut when the
    chunk was built. Workers do this before their turn to write comes."""
    w = _WORLD
    assert w is not None
    orders = sink.orders({o for _, _, o, _, _ in cut if o})
    docs = []
    for tid, cust, oid, head, body in cut:
        number, tracking = orders.get(oid, (None, None)) if oid else (None, None)
        ids = ticket_index.ids_text(tid, number, tracking, _contact(w.seed, cust)[0])
        docs.append(TicketDoc(tid, ids, head, body))
    return docs


@dataclass
class _Turn:
    """Whose turn it is to write, shared by the worker processes: job j is written only
    after job j-1, so ids and the bytes of the store never depend on scheduling."""

    cond: Any
    next_job: Any  # a shared integer
    counts: Any  # a shared array: rows written per table, in `_TABLES` order


_TURN: _Turn | None = None
_ENGINE: Engine | None = None
_JOBS: list[Job] = []
_SINK: _Sink | None = None  # a worker process's own connection


def _worker_sink() -> _Sink:
    """The worker's connection, opened on first use (never one inherited from the parent)."""
    global _SINK
    if _SINK is None:
        assert _ENGINE is not None
        _ENGINE.dispose(close=False)
        _SINK = _Sink(_ENGINE)
        multiprocessing.util.Finalize(_SINK, _SINK.close, exitpriority=10)
    return _SINK


def _job(j: int) -> int:
    """In a worker: build job j, wait for its turn, write it, pass the turn on."""
    built = _build(_JOBS[j])
    if isinstance(built, ChunkRows):  # while waiting for the turn, not in it
        built.docs = _index_rows(_worker_sink(), built.search)
    turn = _TURN
    assert turn is not None
    with turn.cond:
        turn.cond.wait_for(lambda: turn.next_job.value == j)
    written = _write_built(_worker_sink(), built, turn.counts)
    with turn.cond:
        turn.next_job.value = j + 1
        turn.cond.notify_all()
    return written


def _default_workers(tickets: int) -> int:
    """Every core, once there is enough work to pay for forking (and fork exists)."""
    if tickets < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(4, os.cpu_count() or 1)


def _run_jobs(
    engine: Engine, jobs: list[Job], counts: list[int], workers: int, progress: Progress | None
) -> None:
    """Every job, in order: here, or in `workers` forked processes taking turns."""
    total = _WORLD.tickets if _WORLD else 0
    if workers <= 1 or len(jobs) <= 1:
        sink, done = _Sink(engine), 0
        try:
            for job in jobs:
                done += _write_built(sink, _build(job), counts)
                _report(progress, done, total, job)
        finally:
            sink.close()
        return
    ctx = multiprocessing.get_context("fork")
    global _TURN, _ENGINE, _JOBS
    _TURN = _Turn(
        ctx.Condition(), ctx.Value("q", 0, lock=False), ctx.Array("q", counts, lock=False)
    )
    _ENGINE, _JOBS = engine, jobs
    try:
        _run_pool(ctx, workers, jobs, total, progress)
        counts[:] = list(_TURN.counts)
    finally:
        _TURN, _ENGINE, _JOBS = None, None, []


def _run_pool(
    ctx: Any, workers: int, jobs: list[Job], total: int, progress: Progress | None
) -> None:
    """Submit every job at once; results come back in order, for progress."""
    pool = ctx.Pool(workers)
    try:
        pending = deque(pool.apply_async(_job, (j,)) for j in range(len(jobs)))
        done = 0
        for job in jobs:
            done += pending.popleft().get()
            _report(progress, done, total, job)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _report(progress: Progress | None, done: int, total: int, job: Job) -> None:
    if progress is not None and job[0] == "tickets":
        progress(done, total)


# ---------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------


def seed_store(
    store: SqlStore,
    *,
    tickets: int,
    customers: int | None = None,
    agents: int = 30,
    seed: int = 0,
    now: datetime | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    live: bool = False,
) -> dict[str, int]:
    """Fill an empty store with a deterministic world; returns the rows written per table.

    `customers` defaults to tickets // 3 (at least 10). `now` defaults to DEFAULT_NOW, not
    the wall clock, so two runs agree. `workers` is how many processes build and write
    tickets (default: the cores, from 20,000 tickets up); the rows never depend on it.
    `progress(done, total)` is called as tickets are written.

    By default the team is behind after Double 11: a backlog of days-old open tickets, which
    is what the benchmarks and tests page through. `live=True` is a team that keeps up (the
    demo): the open work is the last hours' and days', mostly taken, and older tickets are
    done, so the queue's deadlines are near rather than weeks past.
    """
    now = now or DEFAULT_NOW
    if now.tzinfo is None:
        raise BadInput("now must be timezone-aware")
    now = now.astimezone(UTC)
    n_customers = max(10, tickets // 3) if customers is None else customers
    if tickets < 0 or agents < 1 or n_customers < 1:
        raise BadInput("seed: tickets ≥ 0, customers ≥ 1 and agents ≥ 1")
    _fixtures()  # read here, before any fork, so that every worker inherits them
    specs = _agent_specs(agents)
    counts = [0] * len(_TABLES)
    _claim(store.engine, specs, int(now.timestamp()), counts)
    n_workers = _default_workers(tickets) if workers is None else workers
    if "fork" not in multiprocessing.get_all_start_methods():
        n_workers = 0  # the workers share the plan by forking; elsewhere, work here
    global _WORLD
    try:
        with _Indexes(store.engine) as indexes:
            _WORLD, orders = _plan_world(
                store, specs, tickets, n_customers, seed, now, n_workers, live
            )
            _write_jobs(store.engine, indexes, orders, counts, n_workers, progress)
            return dict(zip(_TABLES, counts, strict=True))
    finally:
        _WORLD = None


def _claim(engine: Engine, specs: list[_AgentSpec], now_ts: int, counts: list[int]) -> None:
    """Check that the store is empty and write the agents, in one write transaction.

    Seeded ids start at 1, so they would collide with rows already there; and a second
    seeder started at the same moment on the same store now finds the agents and stops,
    instead of both writing the same ids.
    """
    rows, events = _agent_rows(specs, now_ts, _fmt_datetime)  # Core binds datetimes
    with engine.connect() as conn:
        conn = conn.execution_options(cstui_write=True)  # BEGIN IMMEDIATE on SQLite
        with conn.begin():
            require_empty(conn)
            for table, batch in (("agents", rows), ("events", events)):
                target, cols = _COLUMNS[table]
                if table in _SERIAL:
                    cols, batch = ("id", *cols), [(n, *r) for n, r in enumerate(batch, 1)]
                conn.execute(insert(target), [dict(zip(cols, r, strict=True)) for r in batch])
    counts[_TABLES.index("agents")] += len(rows)
    counts[_TABLES.index("events")] += len(events)


def _plan_world(
    store: SqlStore,
    specs: list[_AgentSpec],
    tickets: int,
    n_customers: int,
    seed: int,
    now: datetime,
    workers: int,
    live: bool,
) -> tuple[_World, _Orders]:
    """Everything decided before a ticket is built; orders start being written meanwhile."""
    now_ts = int(now.timestamp())
    c = _plan_customers(seed, n_customers, now_ts, workers)
    orders = _Orders(store.engine, c, seed, now_ts, parallel=workers > 1)
    classifying = _Tiers(c, store.rules, now, parallel=workers > 1)
    plan = _Planner(Random(seed * 31 + 2), c, specs, now, store.rules, live=live).plan(tickets)
    tiers = classifying.finish()  # after the plan: it counted the complaints
    sqlite = store.engine.dialect.name == "sqlite"
    world = _World(seed, now, store.rules, sqlite, specs, c, plan, tickets, tiers)
    return world, orders


def _write_jobs(
    engine: Engine,
    indexes: _Indexes,
    orders: _Orders,
    counts: list[int],
    workers: int,
    progress: Progress | None,
) -> None:
    """Customers (before the orders where foreign keys are checked as rows arrive), the
    early indexes, then the ticket chunks."""
    global _EARLY_DDL
    assert _WORLD is not None
    jobs = _jobs(_WORLD)
    if orders.process is None:
        people = [j for j in jobs if j[0] == "customers"]
        _run_jobs(engine, people, counts, 0, None)
        jobs = jobs[len(people) :]
    counts[_TABLES.index("orders")] = orders.finish()
    _EARLY_DDL = indexes.ddl_of(_EARLY_INDEXED)
    try:
        _run_jobs(engine, jobs, counts, workers, progress)
    finally:
        _EARLY_DDL = []
    indexes.built.update(name for name, _ in indexes.ddl_of(_EARLY_INDEXED))


__all__ = ["DEFAULT_NOW", "customer_lang", "customer_name", "order_number", "seed_store"]
