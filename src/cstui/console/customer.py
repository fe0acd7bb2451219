"""The customer pane: tier and why, contact (masked), orders, tickets, CSAT, complaint risk.

`CustomerCard` is gathered from the store in a worker (`gather_card`); the pane only draws
it. Phone, email and address stay masked until the agent reveals them, and the reveal is
written to the event log by the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from rich.cells import cell_len
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from cstui.console.render import fit, local, money
from cstui.console.safe import assemble
from cstui.domain.complaints import RiskSignal, complaint_risk
from cstui.domain.model import Customer, EventKind, Order, Ticket, Tier
from cstui.domain.privacy import mask_address, mask_email, mask_phone
from cstui.domain.sla import Risk, risk
from cstui.i18n import label, t
from cstui.store.base import HelpdeskStore

LOW_CSAT = 2
TICKETS_SHOWN = 10


@dataclass(frozen=True)
class CustomerCard:
    customer: Customer
    orders: tuple[Order, ...]
    tickets: tuple[Ticket, ...]
    csat: tuple[tuple[int, int], ...]  # (ticket id, score), newest first
    risk: RiskSignal
    revealed: bool = False


def gather_card(
    store: HelpdeskStore, customer_id: int, *, now: datetime, window: timedelta
) -> CustomerCard:
    """Everything the pane shows, in a handful of store calls (run it in a worker)."""
    # The event payloads' classes (~40 ms of dataclass creation) are not needed before
    # the first frame: this runs in a worker once the store is open.
    from cstui.domain.events import Csat, payload_as

    customer = store.get_customer(customer_id)
    orders = tuple(store.customer_orders(customer_id)[:8])
    tickets = tuple(store.customer_tickets(customer_id, limit=TICKETS_SHOWN))
    csat = tuple(
        (tk.id, payload_as(Csat, e).score)
        for tk in tickets
        for e in store.events(ticket_id=tk.id)
        if e.kind is EventKind.CSAT
    )
    return CustomerCard(
        customer, orders, tickets, csat, _risk(customer, tickets, csat, now, window)
    )


def _risk(
    customer: Customer,
    tickets: tuple[Ticket, ...],
    csat: tuple[tuple[int, int], ...],
    now: datetime,
    window: timedelta,
) -> RiskSignal:
    """投诉预警 from what the pane already has: contacts, broken promises, history, CSAT."""
    recent = sum(1 for tk in tickets if now - tk.created_at <= timedelta(days=7))
    overdue = sum(
        1 for tk in tickets if tk.is_active and risk(tk.due.nearest(), now, window) is Risk.BREACHED
    )
    overdue += sum(1 for tk in tickets for e in tk.open_escalations if e.due_at <= now)
    return complaint_risk(
        contacts_last_7_days=recent,
        overdue_promises=overdue,
        prior_complaints=customer.complaint_count,
        negative_csat=sum(1 for _tid, score in csat if 0 < score <= LOW_CSAT),
    )


def card_content(card: CustomerCard, tz: tzinfo | None, width: int) -> Content:
    c = card.customer
    tier_style = "$vip bold" if c.tier is Tier.VIP else "bold"
    parts: list[str | tuple[str, str]] = [(c.name, "bold"), "  ", (label(c.tier), tier_style), "\n"]
    parts += _why(c) + _contact(card) + _risk_lines(card.risk)
    parts += _orders(card.orders, width) + _tickets(card.tickets, tz, width) + _csat(card.csat)
    return assemble(*parts)


def _why(c: Customer) -> list[str | tuple[str, str]]:
    aov = c.annual_spend / c.order_count if c.order_count else 0.0
    bits = [
        t("customer.spend", amount=money(c.annual_spend)),
        t("customer.orders", n=c.order_count),
        t("customer.aov", amount=money(aov)),
        t("customer.complaints", n=c.complaint_count),
    ]
    return [(t("customer.why") + ": ", "$text-muted"), " · ".join(bits), "\n"]


def _contact(card: CustomerCard) -> list[str | tuple[str, str]]:
    c, shown = card.customer, card.revealed
    phone = c.phone if shown else mask_phone(c.phone)
    email = c.email if shown else mask_email(c.email)
    address = c.address if shown else mask_address(c.address)
    out: list[str | tuple[str, str]] = []
    for key, value in (
        ("customer.phone", phone),
        ("customer.email", email),
        ("customer.address", address),
    ):
        if value:
            out += [(t(key) + ": ", "$text-muted"), value, "\n"]
    if not shown:
        out += [(t("customer.reveal_hint"), "$text-muted italic"), "\n"]
    return out


def _risk_lines(signal: RiskSignal) -> list[str | tuple[str, str]]:
    if not signal.flagged:
        return [(t("customer.no_risk"), "$sla-ok"), "\n"]
    return [(f"⚠ {t('customer.risk')}: ", "$sla-breached bold"), "; ".join(signal.reasons), "\n"]


def _orders(orders: tuple[Order, ...], width: int) -> list[str | tuple[str, str]]:
    if not orders:
        return []
    out: list[str | tuple[str, str]] = ["\n", (t("customer.order_list"), "bold"), "\n"]
    for o in orders:
        for line in order_line(o.number, money(o.amount), o.logistics_status or "", width).split(
            "\n"
        ):
            out += [line, "\n"]
    return out


def order_line(number: str, amount: str, status: str, width: int) -> str:
    """An order in `width` cells: number, amount and status on one line when they fit;
    otherwise the amount and status go under the number. The amount is never cut."""
    one = f"{number} {amount}" + (f" {status}" if status else "")
    if cell_len(one) <= width:
        return one
    second = f"  {amount}" if cell_len(amount) + 2 <= width else amount
    room = width - cell_len(second) - 1
    if status and room > 0:
        second += " " + fit(status, min(room, cell_len(status)))
    return f"{fit(number, min(width, cell_len(number)))}\n{second}"


def _tickets(
    tickets: tuple[Ticket, ...], tz: tzinfo | None, width: int
) -> list[str | tuple[str, str]]:
    if not tickets:
        return []
    out: list[str | tuple[str, str]] = ["\n", (t("customer.tickets"), "bold"), "\n"]
    for tk in tickets:
        style = "" if tk.is_active else "$text-muted"
        line = f"#{tk.id} {label(tk.status)} {local(tk.created_at, tz, '%m-%d')} {tk.subject}"
        out += [(fit(line, width), style), "\n"]
    return out


def _csat(csat: tuple[tuple[int, int], ...]) -> list[str | tuple[str, str]]:
    out: list[str | tuple[str, str]] = ["\n", (t("customer.csat"), "bold"), "\n"]
    if not csat:
        return [*out, (t("customer.no_csat"), "$text-muted"), "\n"]
    scores = [score for _tid, score in csat]
    stars = "  ".join(f"#{tid} {'★' * score}" for tid, score in csat[:5])
    return [*out, f"{sum(scores) / len(scores):.1f} / 5  ", stars, "\n"]


class CustomerPane(VerticalScroll):
    DEFAULT_CSS = """
    /* The scrollbar's room is kept even when it is not drawn: lines are cut to the width
       measured here, and a scrollbar that appears later would wrap each one (an amount
       cut to "¥1…" on the next line). */
    CustomerPane { padding: 0 1; scrollbar-gutter: stable; }
    """

    def __init__(self, tz: tzinfo | None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tz = tz
        self.card: CustomerCard | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(t("customer.none"), id="customer-card")

    def on_mount(self) -> None:
        self.border_title = t("pane.customer")

    def show(self, card: CustomerCard) -> None:
        self.card = card
        width = max(self.scrollable_content_region.width, 8)
        self.query_one("#customer-card", Static).update(card_content(card, self.tz, width))

    def on_resize(self) -> None:
        if self.card is not None:
            self.show(self.card)
