"""Template filling: every supplied placeholder replaced, every other one kept and reported."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from cstui.domain.model import (
    Category,
    Channel,
    Customer,
    GoodsType,
    Order,
    Priority,
    SlaDue,
    Status,
    Ticket,
    Tier,
)
from cstui.domain.templates import KNOWN_PLACEHOLDERS, fill, placeholders, ticket_values

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

names = st.sampled_from(sorted(KNOWN_PLACEHOLDERS))
plain = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=12)
templates = st.lists(st.one_of(plain, names.map(lambda n: "{" + n + "}")), max_size=8).map("".join)


@given(template=templates, supplied=st.dictionaries(names, plain, max_size=10))
def test_fill_replaces_supplied_and_reports_the_rest(
    template: str, supplied: dict[str, str]
) -> None:
    filled = fill(template, supplied)
    for name in placeholders(template):
        if name in supplied:
            assert "{" + name + "}" not in filled.text  # supplied values have no braces
        else:
            assert name in filled.missing and "{" + name + "}" in filled.text
    assert set(filled.missing) == set(placeholders(template)) - set(supplied)


def test_a_ticket_fills_a_refund_template() -> None:
    ticket = Ticket(
        id=42,
        subject="退款",
        status=Status.OPEN,
        priority=Priority.NORMAL,
        channel=Channel.CHAT,
        category=Category.REFUND,
        customer=Customer(id=1, name="张三", tier=Tier.VIP),
        owner="alice",
        dispatch_count=1,
        version=3,
        green_channel=False,
        created_at=NOW,
        updated_at=NOW,
        due=SlaDue(resolution=datetime(2026, 11, 21, 16, 30, tzinfo=UTC)),
        order=Order("SO1", 1, 199.0, GoodsType.GENERAL, NOW, tracking_no="SF123"),
    )
    body = (
        "{customer_name}您好，订单{order_id}退款{refund_amount}元，物流{tracking_no}，"
        "{due_date}前处理，券码{coupon_code}。——{agent_name}"
    )
    filled = fill(body, ticket_values(ticket, agent_name="小周"))
    assert filled.text == (
        "张三您好，订单SO1退款199.00元，物流SF123，2026-11-21前处理，券码{coupon_code}。——小周"
    )
    assert filled.missing == ("coupon_code",)
