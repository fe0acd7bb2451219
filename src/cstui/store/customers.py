"""Customers and their orders, and the yearly ranking into tiers (`domain.tiers`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from cstui.domain.model import TIER_RANK, Customer, Order, Tier
from cstui.domain.tiers import CustomerStats, classify, spend_cutoff
from cstui.errors import BadInput, Conflict
from cstui.store import rows as R
from cstui.store.base import NewCustomer, NewOrder
from cstui.store.schema import CUSTOMERS, ORDERS, TICKETS
from cstui.store.tx import Tx


def add_customer(tx: Tx, *, customer: NewCustomer) -> Customer:
    if not customer.name.strip():
        raise BadInput("name: a customer needs a name")
    now = tx.clock()
    values = {
        "name": customer.name.strip(),
        "phone": customer.phone,
        "email": customer.email,
        "address": customer.address,
        "tier": Tier.NEW.value,
        "tier_reasons": "new customer",
        "annual_spend": 0.0,
        "order_count": 0,
        "complaint_count": 0,
        "created_at": customer.created_at or now,
    }
    values["id"] = tx.insert(CUSTOMERS, values)
    return R.customer_from_mapping(values)


def add_order(tx: Tx, *, order: NewOrder) -> Order:
    if order.amount < 0:
        raise BadInput("amount: an order amount is not negative")
    values = {
        "number": order.number,
        "customer_id": order.customer_id,
        "amount": order.amount,
        "goods_type": order.goods_type.value,
        "placed_at": order.placed_at or tx.clock(),
        "tracking_no": order.tracking_no,
        "logistics_status": order.logistics_status,
    }
    tx.customer(order.customer_id)
    if tx.conn.execute(select(ORDERS.c.id).where(ORDERS.c.number == order.number)).first():
        raise Conflict(f"order {order.number} exists already")
    tx.conn.execute(insert(ORDERS).values(**values))
    tx.conn.execute(
        update(CUSTOMERS)
        .where(CUSTOMERS.c.id == order.customer_id)
        .values(
            order_count=CUSTOMERS.c.order_count + 1,
            annual_spend=CUSTOMERS.c.annual_spend + order.amount,
        )
    )
    return R.order_from_mapping(values)


def get_customer(tx: Tx, *, customer_id: int) -> Customer:
    return R.customer_from_mapping(tx.customer(customer_id))


def customer_orders(tx: Tx, *, customer_id: int) -> list[Order]:
    result = tx.conn.execute(
        select(ORDERS)
        .where(ORDERS.c.customer_id == customer_id)
        .order_by(ORDERS.c.placed_at.desc(), ORDERS.c.id.desc())
    ).mappings()
    return [R.order_from_mapping(m) for m in result]


def retier_customers(tx: Tx) -> int:
    """Re-rank every customer (the top-20% cutoff moves with the population).

    Active tickets follow their customer's new tier; returns how many customers changed.
    """
    now = tx.clock()
    policy = tx.rules.tiers
    stats = _customer_stats(tx, now - timedelta(days=365))
    cutoff = spend_cutoff([s.annual_spend for _, s, _ in stats], policy.vip_top_share)
    changed = 0
    for customer_id, st, old_tier in stats:
        assessed = classify(st, policy, now, cutoff)
        if assessed.tier.value == old_tier:
            continue
        changed += 1
        tx.conn.execute(
            update(CUSTOMERS)
            .where(CUSTOMERS.c.id == customer_id)
            .values(tier=assessed.tier.value, tier_reasons="; ".join(assessed.reasons))
        )
        tx.conn.execute(
            update(TICKETS)
            .where(TICKETS.c.customer_id == customer_id, TICKETS.c.active == 1)
            .values(tier=assessed.tier.value, tier_rank=TIER_RANK[assessed.tier])
        )
    return changed


def _customer_stats(tx: Tx, year_ago: datetime) -> list[tuple[int, CustomerStats, str]]:
    spend = (
        select(
            ORDERS.c.customer_id,
            func.coalesce(func.sum(ORDERS.c.amount), 0.0).label("spend"),
            func.count().label("n"),
            func.min(ORDERS.c.placed_at).label("first"),
        )
        .where(ORDERS.c.placed_at >= year_ago)
        .group_by(ORDERS.c.customer_id)
        .subquery()
    )
    query = select(
        CUSTOMERS.c.id,
        CUSTOMERS.c.complaint_count,
        CUSTOMERS.c.created_at,
        CUSTOMERS.c.tier,
        spend.c.spend,
        spend.c.n,
        spend.c.first,
    ).outerjoin(spend, spend.c.customer_id == CUSTOMERS.c.id)
    out = []
    for m in tx.conn.execute(query).mappings():
        stats = CustomerStats(
            annual_spend=float(m["spend"] or 0.0),
            orders_last_year=int(m["n"] or 0),
            complaint_count=m["complaint_count"],
            first_order_at=R.dt(m["first"]),
            created_at=m["created_at"],
        )
        out.append((m["id"], stats, m["tier"]))
    return out
