"""Fixtures: people, products and scenarios (`fixtures/*.json`), read once per process, and
the choice of the scenario a ticket plays.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any, NamedTuple

from cstui import locations
from cstui.demo.vocabulary import _CAT_S, _CATEGORIES, _FRESH, _GOODS, _GOODS_S, Text
from cstui.domain.model import Shift
from cstui.domain.templates import KNOWN_PLACEHOLDERS, PLACEHOLDER

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
