"""A parcel as a customer is told of it: its carrier and its state, in their language.

An order knows its tracking number and its logistics state (`in_transit`, `delivered` …)
but not its carrier: the carrier is read from the tracking number's form, as the carriers
issue them (`SF` then 13 digits is 顺丰, `JDVA…` is 京东 …). Letter prefixes are the carriers'
own; the all-digit forms are told apart by their prefix and length. A number of no known
form names no carrier (the placeholder then stays for the agent to complete).
"""

from __future__ import annotations

from cstui.domain.model import Order

Names = tuple[str, str]  # Chinese, English

# (prefix, total length or 0 for any, names): the first that fits, so longer prefixes first.
_CARRIERS: tuple[tuple[str, int, Names], ...] = (
    ("JDVA", 0, ("京东物流", "JD Logistics")),
    ("JD", 0, ("京东物流", "JD Logistics")),
    ("SF", 0, ("顺丰速运", "SF Express")),
    ("YT", 0, ("圆通速递", "YTO Express")),
    ("JT", 0, ("极兔速递", "J&T Express")),
    ("ZTO", 0, ("中通快递", "ZTO Express")),
    ("773", 15, ("申通快递", "STO Express")),
    ("78", 14, ("中通快递", "ZTO Express")),
    ("43", 15, ("韵达快递", "Yunda Express")),
    ("98", 13, ("邮政EMS", "China Post EMS")),
    ("EMS", 0, ("邮政EMS", "China Post EMS")),
)
STATES: dict[str, Names] = {
    "in_transit": ("运输中", "in transit"),
    "out_for_delivery": ("派送中", "out for delivery"),
    "delivered": ("已签收", "delivered"),
    "exception": ("异常", "held up"),
    "returned": ("已退回", "returned"),
}


def carrier_of(tracking_no: str | None, lang: str = "zh") -> str | None:
    """The carrier a tracking number is of, by its form; None when no form fits."""
    number = (tracking_no or "").strip().upper()
    for prefix, length, names in _CARRIERS:
        if number.startswith(prefix) and (not length or len(number) == length):
            return names[lang == "en"]
    return None


def state_of(status: str | None, lang: str = "zh") -> str:
    """The logistics state in words (an unknown state as it is written)."""
    if not status:
        return ""
    return STATES.get(status, (status, status))[lang == "en"]


def parcel_line(order: Order, lang: str = "zh") -> str:
    """One line on the order's parcel: its state, carrier and tracking number, as far as
    known (`订单 SO…，物流状态：运输中，承运：顺丰速运，运单号：SF…。`)."""
    zh = lang != "en"
    said = state_of(order.logistics_status, lang)
    carrier = carrier_of(order.tracking_no, lang)
    if zh:
        bits = [f"订单 {order.number}"]
        bits += [f"物流状态：{said}"] if said else []
        bits += [f"承运：{carrier}"] if carrier else []
        bits += [f"运单号：{order.tracking_no}"] if order.tracking_no else []
        return "，".join(bits) + "。"
    bits = [f"Order {order.number}"]
    bits += [f"status: {said}"] if said else []
    bits += [f"carrier: {carrier}"] if carrier else []
    bits += [f"tracking number: {order.tracking_no}"] if order.tracking_no else []
    return ", ".join(bits) + "."
