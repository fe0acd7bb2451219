"""`/tickets`: the queue, one ticket, its thread and the pending transfers (the reads).

Every write on a ticket is a route derived from the table of commands
(`cstui.server.commands`, from `cstui.commands.WRITES`).

Every endpoint is a plain `def`: FastAPI runs it in its threadpool, where the blocking
store call belongs. Reads and writes go through the same store code as the CLI, which
applies the domain rules and the optimistic version checks. Each answers with the body its
`response_model` names (`cstui.wire`), encoded here: FastAPI does not check it again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cstui import wire as W
from cstui.server import schemas as S
from cstui.server.deps import (
    AgentDep,
    StoreDep,
    etag,
)
from cstui.server.responses import JSONResponse
from cstui.store.base import View

router = APIRouter(tags=["tickets"])

TicketId = Annotated[int, Path(ge=1, le=S.MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=400)]


@router.get("/tickets", response_model=W.Page[W.TicketPublic])
def list_tickets(
    store: StoreDep,
    agent: AgentDep,
    view: View = View.ALL_OPEN,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """A keyset page of a queue view, most urgent first (`mine` is the caller's)."""
    page = store.list_tickets(view, actor=agent.name, limit=limit, cursor=cursor)
    return JSONResponse(W.page(W.TicketPublic, page))


@router.get("/tickets/count", response_model=W.CountPublic)
def count_tickets(store: StoreDep, agent: AgentDep, view: View = View.ALL_OPEN) -> JSONResponse:
    return JSONResponse({"count": store.count_tickets(view, actor=agent.name)})


@router.get("/tickets/search", response_model=W.Page[W.TicketHitPublic])
def search_tickets(
    store: StoreDep,
    agent: AgentDep,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """Tickets matching `status:open tier:vip 退款`: filters, and words found in an id, order,
    tracking number or phone (or its last 4 digits), the subject, customer name or thread."""
    page = store.search_tickets(q, actor=agent.name, limit=limit, cursor=cursor)
    return JSONResponse(W.page(W.TicketHitPublic, page))


@router.get("/tickets/{ticket_id}", response_model=W.TicketPublic)
def get_ticket(
    store: StoreDep, agent: AgentDep, ticket_id: TicketId, messages: bool = True
) -> JSONResponse:
    """One ticket (with its thread); the ETag is its version, for If-Match on PATCH."""
    ticket = store.get_ticket(ticket_id, with_messages=messages)
    body = W.TicketPublic.encode(ticket, messages=messages)
    return JSONResponse(body, headers={"ETag": etag(ticket.version)})


@router.get("/tickets/{ticket_id}/messages", response_model=W.Items[W.MessagePublic])
def list_messages(store: StoreDep, agent: AgentDep, ticket_id: TicketId) -> JSONResponse:
    store.get_ticket(ticket_id, with_messages=False)  # 404 for an unknown ticket
    return JSONResponse(W.items(W.MessagePublic, store.messages(ticket_id)))


@router.get("/transfers", response_model=W.Items[W.TransferPublic])
def pending_transfers(store: StoreDep, agent: AgentDep) -> JSONResponse:
    return JSONResponse(W.items(W.TransferPublic, store.pending_transfers()))
