"""Agents, customers, orders and presence: who works, for whom, and who has what open.

Adding agents, issuing tokens and writing customer data (what channel integrations do) is
for admins; any agent reads. Contact details are masked; whole only from the audited reveal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from cstui import wire as W
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep
from cstui.server.responses import JSONResponse
from cstui.store.base import NewCustomer, NewOrder

router = APIRouter(tags=["people"])

ObjectId = Annotated[int, Path(ge=1, le=S.MAX_ID)]
ID_LIST = r"^[0-9]{1,9}(,[0-9]{1,9})*$"
AgentName = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/me", response_model=W.AgentPublic)
def me(agent: AgentDep) -> JSONResponse:
    """The agent the token acts as."""
    return JSONResponse(W.AgentPublic.encode(agent))


@router.get("/agents", response_model=W.Items[W.AgentPublic])
def list_agents(store: StoreDep, agent: AgentDep) -> JSONResponse:
    return JSONResponse(W.items(W.AgentPublic, store.list_agents()))


@router.get("/agents/{name}", response_model=W.AgentPublic)
def get_agent(store: StoreDep, agent: AgentDep, name: AgentName) -> JSONResponse:
    return JSONResponse(W.AgentPublic.encode(store.get_agent(name)))


@router.post("/agents", response_model=W.AgentPublic, status_code=201)
def add_agent(store: StoreDep, agent: AgentDep, new: S.AgentIn) -> JSONResponse:
    added = store.add_agent(new.name, new.role, new.shift, new.display_name)
    return JSONResponse(W.AgentPublic.encode(added), 201)


@router.post("/agents/{name}/token", response_model=W.TokenPublic)
def issue_token(store: StoreDep, agent: AgentDep, name: AgentName) -> JSONResponse:
    """A new token for the agent (admins); the old one stops working."""
    return JSONResponse({"token": store.issue_token(name)})


@router.post("/customers", response_model=W.CustomerPublic, status_code=201)
def add_customer(store: StoreDep, agent: AgentDep, new: S.CustomerIn) -> JSONResponse:
    customer = store.add_customer(NewCustomer(**new.model_dump()))
    return JSONResponse(W.CustomerPublic.encode(customer), 201)


@router.post("/customers/retier", response_model=W.CountPublic)
def retier(store: StoreDep, agent: AgentDep) -> JSONResponse:
    """Re-rank every customer's tier (admins); returns how many changed."""
    return JSONResponse({"count": store.retier_customers()})


@router.get("/customers/{customer_id}", response_model=W.CustomerPublic)
def get_customer(store: StoreDep, agent: AgentDep, customer_id: ObjectId) -> JSONResponse:
    return JSONResponse(W.CustomerPublic.encode(store.get_customer(customer_id)))


@router.post("/customers/{customer_id}/reveal", response_model=W.CustomerRevealed)
def reveal_contact(
    store: StoreDep,
    agent: AgentDep,
    customer_id: ObjectId,
    ticket_id: Annotated[int | None, Query(ge=1, le=S.MAX_ID)] = None,
) -> JSONResponse:
    """Phone, email and address, for the owner of the customer's ticket (`ticket_id`, or any
    of theirs) or a supervisor; the reveal, or its refusal, is written to the event log."""
    c = store.reveal_contact(customer_id, actor=agent.name, ticket_id=ticket_id)
    return JSONResponse(W.CustomerRevealed.encode(c))


@router.get("/customers/{customer_id}/orders", response_model=W.Items[W.OrderPublic])
def customer_orders(store: StoreDep, agent: AgentDep, customer_id: ObjectId) -> JSONResponse:
    return JSONResponse(W.items(W.OrderPublic, store.customer_orders(customer_id)))


@router.get("/customers/{customer_id}/tickets", response_model=W.Items[W.TicketPublic])
def customer_tickets(
    store: StoreDep,
    agent: AgentDep,
    customer_id: ObjectId,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> JSONResponse:
    found = store.customer_tickets(customer_id, limit=limit)
    return JSONResponse(W.items(W.TicketPublic, found))


@router.post("/orders", response_model=W.Items[W.OrderPublic], status_code=201)
def add_order(store: StoreDep, agent: AgentDep, new: S.OrderIn) -> JSONResponse:
    order = store.add_order(NewOrder(**new.model_dump()))
    return JSONResponse(W.items(W.OrderPublic, [order]), 201)


@router.put("/presence", status_code=204)
def set_presence(store: StoreDep, agent: AgentDep, where: S.PresenceIn) -> Response:
    """The caller has this ticket open (or none): a heartbeat."""
    store.set_presence(actor=agent.name, ticket_id=where.ticket_id)
    return Response(status_code=204)


@router.get("/presence", response_model=W.Items[W.ViewingPublic])
def viewers(
    store: StoreDep,
    agent: AgentDep,
    ids: Annotated[
        str | None, Query(max_length=4000, pattern=r"^[0-9]{1,10}(,[0-9]{1,10})*$")
    ] = None,
) -> JSONResponse:
    """Who has which ticket open now; `ids=1,2,3` to ask about some tickets only."""
    wanted = [int(i) for i in ids.split(",")] if ids else None
    return JSONResponse(W.items(W.ViewingPublic, store.viewers(wanted).items()))
