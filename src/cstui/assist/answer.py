"""The text of an automatic answer: the best article, and for a known order its parcel's
state first (what "where is my parcel" asks), in the customer's language.

Pure: the store hands in the order and the article; nothing here reads storage.
"""

from __future__ import annotations

from cstui.domain.model import Order

ASSISTANT = "智能客服"  # the author of an automatic answer, as the thread shows it
# A parcel in these states needs a person (an exception is a lost or held parcel).
NEEDS_A_PERSON = frozenset({"exception", "returned"})
_STATES = {
    "in_transit": ("运输中", "in transit"),
    "delivered": ("已签收", "delivered"),
    "out_for_delivery": ("派送中", "out for delivery"),
}


def order_line(order: Order, lang: str) -> str:
    """One line on the order's parcel: its state and tracking number, as far as known."""
    zh = lang != "en"
    state = order.logistics_status or ""
    said = _STATES.get(state, (state, state))[0 if zh else 1]
    if zh:
        bits = [f"订单 {order.number}"]
        bits += [f"物流状态：{said}"] if said else []
        bits += [f"运单号：{order.tracking_no}"] if order.tracking_no else []
        return "，".join(bits) + "。"
    bits = [f"Order {order.number}"]
    bits += [f"status: {said}"] if said else []
    bits += [f"tracking number: {order.tracking_no}"] if order.tracking_no else []
    return ", ".join(bits) + "."


def answer_text(body: str, order: Order | None, lang: str) -> str:
    """The reply: the order's line (when there is an order) above the article's text."""
    body = body.strip()
    return f"{order_line(order, lang)}\n\n{body}" if order is not None else body
