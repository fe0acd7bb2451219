"""Quick-response templates (快速响应模板): filling placeholders from a ticket.

A template names what it needs in braces (`{customer_name}`, `{order_id}` …). Filling is
pure and forgiving: a placeholder the ticket cannot supply stays visible in the text, so
the agent sees what to complete before sending instead of a silently empty gap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from cstui.domain.model import Ticket
from cstui.domain.parcels import carrier_of

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

KNOWN_PLACEHOLDERS = frozenset(
    {
        "customer_name",
        "order_id",
        "tracking_no",
        "refund_amount",
        "agent_name",
        "ticket_id",
        "due_date",
        "product_name",
        "carrier",
        "coupon_code",
    }
)


@dataclass(frozen=True, slots=True)
class Filled:
    """The filled text and the placeholders still waiting for the agent."""

    text: str
    missing: tuple[str, ...]


def placeholders(template: str) -> tuple[str, ...]:
    """The distinct placeholders a template uses, in order of appearance."""
    return tuple(dict.fromkeys(PLACEHOLDER.findall(template)))


def ticket_values(
    ticket: Ticket,
    *,
    agent_name: str | None = None,
    tz: ZoneInfo | None = None,
    lang: str = "zh",
) -> dict[str, str]:
    """What a ticket can tell a template (in `lang`, the template's language: the carrier's
    name); keys it cannot answer are left out."""
    values = {"customer_name": ticket.customer.name, "ticket_id": str(ticket.id)}
    if agent_name:
        values["agent_name"] = agent_name
    if ticket.order is not None:
        values["order_id"] = ticket.order.number
        values["refund_amount"] = f"{ticket.order.amount:,.2f}"  # grouped, as money is shown
        if ticket.order.tracking_no:
            values["tracking_no"] = ticket.order.tracking_no
            if carrier := carrier_of(ticket.order.tracking_no, lang):
                values["carrier"] = carrier
    due = ticket.due.resolution
    if due is not None:
        values["due_date"] = _local_date(due, tz)
    return values


def _local_date(when: datetime, tz: ZoneInfo | None) -> str:
    return (when.astimezone(tz) if tz else when).strftime("%Y-%m-%d")


def fill(template: str, values: Mapping[str, str]) -> Filled:
    """Replace every known placeholder; unknown or unanswered ones stay as written."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name not in missing:
            missing.append(name)
        return match.group(0)

    return Filled(PLACEHOLDER.sub(replace, template), tuple(missing))
