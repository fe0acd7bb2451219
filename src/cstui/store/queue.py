"""Reading tickets: one ticket, a queue view's page and count, a customer's tickets.

A queue page is the console's hot path: one literal statement per view and cursor shape,
built once (`_page_statement`), read as plain rows (`rows.ticket_from_row`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, text

from cstui.domain.model import Page, Ticket
from cstui.errors import BadInput, NotFound
from cstui.store import rows as R
from cstui.store.base import View
from cstui.store.pages import MAX_PAGE as MAX_PAGE
from cstui.store.pages import check_limit, page_of, page_sql
from cstui.store.schema import AGENTS, TICKETS
from cstui.store.triaged import ticket_triage
from cstui.store.tx import Tx
from cstui.store.views import VIEW_SPECS, decode_cursor, keyset_sql


def get_ticket(tx: Tx, *, ticket_id: int, with_messages: bool = True) -> Ticket:
    statement = text(f"{R.ticket_select(tx.dialect)} WHERE t.id = :id")
    row = tx.conn.execute(statement, {"id": ticket_id}).first()
    if row is None:
        raise NotFound(f"ticket {ticket_id}: no such ticket")
    green = tx.rules.escalation.green_window
    if not with_messages:
        return R.ticket_from_row(row, (), green)
    ticket = R.ticket_from_row(row, tuple(tx.messages(ticket_id)), green)
    return replace(ticket, triage=ticket_triage(tx, ticket_id))


def ticket_owner(tx: Tx, *, ticket_id: int) -> str | None:
    """Who owns the ticket (None: nobody yet): one small read, for deciding rights."""
    owner = AGENTS.c.name.label("owner")
    joined = TICKETS.outerjoin(AGENTS, AGENTS.c.id == TICKETS.c.owner_id)
    row = tx.conn.execute(select(owner).select_from(joined).where(TICKETS.c.id == ticket_id))
    found = row.first()
    if found is None:
        raise NotFound(f"ticket {ticket_id}: no such ticket")
    return found.owner


def list_tickets(
    tx: Tx, *, view: View, actor: str | None, limit: int, cursor: str | None
) -> Page[Ticket]:
    check_limit(limit)
    spec = VIEW_SPECS[view]
    params: dict[str, Any] = {"n": limit + 1}
    params.update(_view_params(tx, view, actor))
    if cursor:
        keys = decode_cursor(cursor, spec.order)
        params.update({f"k{i}": v for i, v in enumerate(keys)})
    sql = page_sql(spec, after=bool(cursor), dialect=tx.dialect)
    rows = tx.conn.execute(_page_statement(sql, spec.order, bool(cursor)), params).all()
    return page_of(rows, spec, limit=limit, green_window=tx.rules.escalation.green_window)


def count_tickets(tx: Tx, *, view: View, actor: str | None) -> int:
    spec = VIEW_SPECS[view]
    params = _view_params(tx, view, actor)
    where, _ = keyset_sql(spec, after=False)
    sql = f"SELECT count(*) FROM tickets t WHERE {where}"
    # bound like the page query: an untyped deadline compared as the wrong text on SQLite
    statement = _page_statement(sql, spec.order, with_cursor=False)
    return int(tx.conn.execute(statement, params).scalar_one())


def _view_params(tx: Tx, view: View, actor: str | None) -> dict[str, Any]:
    if view is View.MINE:
        if not actor:
            raise BadInput("--as: the mine view needs the acting agent")
        return {"actor_id": tx.agent(actor)["id"]}
    if view is View.SLA_RISK:
        return {"risk_until": tx.clock() + tx.rules.sla.risk_window}
    return {}


def customer_tickets(tx: Tx, *, customer_id: int, limit: int) -> list[Ticket]:
    sql = (
        f"{R.ticket_select(tx.dialect)} WHERE t.customer_id = :c "
        "ORDER BY t.last_activity_at DESC, t.id DESC LIMIT :n"
    )
    rows = tx.conn.execute(text(sql), {"c": customer_id, "n": limit}).all()
    return [R.ticket_from_row(r, (), tx.rules.escalation.green_window) for r in rows]


@lru_cache(maxsize=64)
def _page_statement(sql: str, order: tuple[str, ...], with_cursor: bool) -> Any:
    """The page query, built once per view and cursor shape (it is the console's hot path).

    Datetime cursor keys and deadlines are bound with the column type (ISO text on SQLite).
    """
    dt_type = TICKETS.c.due_key.type
    params = [bindparam("risk_until", type_=dt_type)] if ":risk_until" in sql else []
    if with_cursor:
        params += [
            bindparam(f"k{i}", type_=dt_type)
            for i, name in enumerate(order)
            if name in ("due_key", "follow_up_due", "resolved_at")
        ]
    clause = text(sql)
    return clause.bindparams(*params) if params else clause
