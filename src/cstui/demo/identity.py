"""Per-entity details drawn from hash bits, so that nothing needs holding in memory: a
customer's name, language, phone, email and address; an order's number, carrier and
tracking number; coupon codes.
"""

from __future__ import annotations

from bisect import bisect_right

from cstui.demo.fixtures import _COUPON_CHARS, _Carrier, _people
from cstui.demo.formats import _fmt_text
from cstui.demo.vocabulary import _FRESH

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
