"""Agents, customers and orders as rows; the orders written beside the plan (`_Orders`)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from random import Random
from typing import Any

from sqlalchemy import Engine

from cstui.demo.formats import _fmt_datetime, _fmt_text
from cstui.demo.identity import (
    _FOR_ADDRESS,
    _address,
    _contact,
    _shipping,
    _splitmix,
    customer_name,
    order_number,
)
from cstui.demo.population import _AgentSpec, _Customers, _spend
from cstui.demo.replay import _World
from cstui.demo.vocabulary import _DAY, _GOODS_S
from cstui.domain import events
from cstui.domain.model import EventKind
from cstui.store.bulk import TABLES, BulkWriter, write_counted


def _agent_rows(
    specs: list[_AgentSpec], now_ts: int, fmt: Callable[[int], Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """add_agent: the row and AGENT_ADDED, a little over a year before `now`."""
    rows, added = [], []
    for i, a in enumerate(specs):
        at = fmt(now_ts - 400 * _DAY + 60 * i)
        rows.append(
            (i + 1, a.name, a.display, a.role.value, a.shift.value if a.shift else None, 0, at)
        )
        old, new = events.encode(events.AgentAdded(agent=a.name, role=a.role))
        added.append((None, None, at, EventKind.AGENT_ADDED.value, old, new))
    return rows, added


def _logistics(rng: Random, age: int) -> tuple[str, bool]:
    """Where the parcel is by the order's age, and whether it has a tracking number yet."""
    if age < _DAY // 2:
        return "awaiting_shipment", False
    if age < 4 * _DAY:
        return ("in_transit" if rng.random() < 0.85 else "exception"), True
    roll = rng.random()
    if roll < 0.88:
        return "delivered", True
    return ("returned" if roll < 0.95 else "exception" if roll < 0.98 else "in_transit"), True


def _customer_rows(w: _World, lo: int, hi: int, fmt: Callable[[int], Any]) -> list[tuple[Any, ...]]:
    """Customers lo..hi-1, with their tier as `population._Tiers` found it."""
    c, rows = w.customers, []
    for i in range(lo, hi):
        phone, email = _contact(w.seed, i)
        tier, reasons = w.tiers[i - 1]
        where = _address(_splitmix(w.seed * 3_333_331 + _FOR_ADDRESS + i))
        rows.append(
            (
                i,
                customer_name(w.seed, i),
                phone,
                email,
                where,
                tier,
                reasons,
                _spend(c, i),
                c.n_orders[i],
                c.complaints[i],
                fmt(c.created[i]),
            )
        )
    return rows


def _order_rows(
    c: _Customers, seed: int, now_ts: int, fmt: Callable[[int], Any], size: int = 20_000
) -> Iterator[list[tuple[Any, ...]]]:
    """Every order, customer by customer, in batches; tiers play no part in them."""
    rng, batch = Random(seed * 31 + 3), []
    for cid in range(1, len(c.created)):
        first = c.first_order[cid]
        for oid in range(first, first + c.n_orders[cid]):
            placed = c.placed[oid]
            status, shipped = _logistics(rng, now_ts - placed)
            tracking = _shipping(seed, oid, c.goods[oid])[1] if shipped else None
            batch.append(
                (
                    oid,
                    order_number(oid, placed),
                    cid,
                    c.amount[oid],
                    _GOODS_S[c.goods[oid]],
                    fmt(placed),
                    tracking,
                    status,
                )
            )
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def _write_orders(engine: Engine, c: _Customers, seed: int, now_ts: int) -> int:
    """Write every order over a connection of its own; returns how many."""
    fmt = _fmt_text if engine.dialect.name == "sqlite" else _fmt_datetime
    counts = [0] * len(TABLES)
    sink = BulkWriter(engine)
    try:
        for batch in _order_rows(c, seed, now_ts, fmt):
            write_counted(sink, {"orders": batch}, counts)
    finally:
        sink.close()
    return counts[TABLES.index("orders")]


def _orders_child(engine: Engine, c: _Customers, seed: int, now_ts: int, report: Any) -> None:
    """The forked orders writer: a connection of its own, never the parent's. A failure
    (a full disk) goes back to the parent through `report`, to be raised there."""
    engine.dispose(close=False)  # never use a connection of the parent's
    try:
        _write_orders(engine, c, seed, now_ts)
    except Exception as exc:
        try:
            report.send(exc)
        except Exception:  # an exception that does not pickle: its text, then
            report.send(RuntimeError(f"seed: writing orders failed: {exc}"))
        raise SystemExit(1) from None  # quietly: the parent tells


class _Orders:
    """Orders depend on customers only, so on SQLite a forked process writes them while
    this one plans the tickets; PostgreSQL, which checks foreign keys as rows arrive,
    writes them once the customers are in."""

    def __init__(
        self, engine: Engine, c: _Customers, seed: int, now_ts: int, parallel: bool
    ) -> None:
        self.args = (engine, c, seed, now_ts)
        self.process: Any = None
        if parallel and engine.dialect.name == "sqlite":
            ctx = multiprocessing.get_context("fork")
            self.failure, report = ctx.Pipe(duplex=False)
            self.process = ctx.Process(target=_orders_child, args=(*self.args, report), daemon=True)
            self.process.start()
            report.close()  # the child's end

    def abandon(self) -> None:
        """Stop writing orders at once (the seed was interrupted or failed)."""
        if self.process is not None:
            self.process.terminate()
            self.process.join()
            self.process = None

    def finish(self) -> int:
        """Wait for the orders (or write them now); returns how many were written."""
        c = self.args[1]
        if self.process is None:
            return _write_orders(*self.args)
        self.process.join()
        if self.process.exitcode != 0:
            if self.failure.poll():
                raise self.failure.recv()
            raise RuntimeError(f"seed: writing orders failed (exit {self.process.exitcode})")
        return len(c.placed) - 1
