"""One customer across channels: an unknown sender whose message names a phone number,
an e-mail address or an order number the store knows is that customer.

Read only when the sender's address or conversation finds nobody, so a customer's own
address always wins. Each lookup is one indexed read (customers' phone and e-mail,
orders' number). What linked them is returned, to be said in the ingest's reason.
"""

from __future__ import annotations

import re

from sqlalchemy import bindparam, select

from cstui.assist.triage import ORDER_RE
from cstui.store.schema import CUSTOMERS, ORDERS
from cstui.store.tx import Tx

MAX_TEXT = 4_000  # the head of the message: quoted history below may name anyone
MAX_CANDIDATES = 5  # of each kind
PHONE_RE = re.compile(r"(?<![\d+])(?:\+?86[ -]?)?(1[3-9]\d(?:[ -]?\d{4}){2})(?!\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")

_BY_PHONE = (
    select(CUSTOMERS.c.id).where(CUSTOMERS.c.phone == bindparam("v")).order_by(CUSTOMERS.c.id)
)
_BY_EMAIL = (
    select(CUSTOMERS.c.id).where(CUSTOMERS.c.email == bindparam("v")).order_by(CUSTOMERS.c.id)
)
_BY_ORDER = select(ORDERS.c.customer_id).where(ORDERS.c.number == bindparam("v"))


def named_customer(tx: Tx, text: str, own_address: str) -> tuple[int, str] | None:
    """The known customer the text names (phone first, then e-mail, then order number), and
    how: "phone", "email" or "order"; None when it names nobody known."""
    head = text[:MAX_TEXT]
    phones = [re.sub(r"[ -]", "", m) for m in PHONE_RE.findall(head)]
    emails = [m.lower() for m in EMAIL_RE.findall(head) if m.lower() != own_address]
    orders = [m.upper() for m in ORDER_RE.findall(head)]
    for how, query, values in (
        ("phone", _BY_PHONE, phones),
        ("email", _BY_EMAIL, emails),
        ("order", _BY_ORDER, orders),
    ):
        for value in values[:MAX_CANDIDATES]:
            found = tx.conn.execute(query.limit(1), {"v": value}).scalar()
            if found is not None:
                return int(found), how
    return None
