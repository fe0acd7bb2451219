"""A parcel in words: the carrier read from the tracking number, the state, the line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cstui import locations
from cstui.domain.model import GoodsType, Order
from cstui.domain.parcels import carrier_of, parcel_line, state_of


def _carriers() -> list[dict[str, object]]:
    raw = json.loads((locations.fixtures_dir() / "people.json").read_text(encoding="utf-8"))
    return list(raw["carriers"])


@pytest.mark.parametrize("carrier", _carriers(), ids=lambda c: str(c["code"]))
def test_every_carrier_of_the_demo_is_told_by_its_numbers(carrier: dict[str, object]) -> None:
    tracking = carrier["tracking"]
    assert isinstance(tracking, dict)
    number = f"{tracking['prefix']}{7:0{tracking['digits']}d}"
    assert carrier_of(number) == carrier["zh"]
    assert carrier_of(number.lower(), "en") == carrier["en"]


@pytest.mark.parametrize("number", [None, "", "  ", "XX123", "7812", "431234"])
def test_a_number_of_no_known_form_names_no_carrier(number: str | None) -> None:
    assert carrier_of(number) is None


def test_the_parcel_line_says_what_is_known() -> None:
    placed = datetime(2026, 11, 2, tzinfo=UTC)
    order = Order("SO1", 1, 9.0, GoodsType.GENERAL, placed, "SF1234567890123", "in_transit")
    said = "订单 SO1，物流状态：运输中，承运：顺丰速运，运单号：SF1234567890123。"
    assert parcel_line(order) == said
    assert parcel_line(order, "en") == (
        "Order SO1, status: in transit, carrier: SF Express, tracking number: SF1234567890123."
    )
    bare = Order("SO2", 1, 9.0, GoodsType.GENERAL, placed)
    assert parcel_line(bare) == "订单 SO2。"
    assert state_of("lost_somewhere") == "lost_somewhere" and state_of(None) == ""
