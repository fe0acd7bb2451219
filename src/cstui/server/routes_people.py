"""Agents, customers, orders and presence: who works, for whom, and who has what open.

Adding agents, issuing tokens and writing customer data (what channel integrations do) is
for admins; any agent reads. Contact details are masked; whole only from the audited reveal.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from cstui.domain.model import Customer, Order
from cstui.domain.privacy import mask_address, mask_email, mask_phone
from cstui.serialize import agent_dict, customer_dict, iso, order_dict, ticket_dict
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep
from cstui.server.responses import JSONResponse
from cstui.store.base import NewCustomer, NewOrder

router = APIRouter(tags=["people"])

ObjectId = Annotated[int, Path(ge=1, le=S.MAX_ID)]
ID_LIST = r"^[0-9]{1,9}(,[0-9]{1,9})*$"
AgentName = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/me", response_model=S.AgentOut)
def me(agent: AgentDep) -> dict[str, Any]:
    """The agent the token acts as."""
    return agent_dict(agent)


@router.get("/agents", response_model=S.Items)
def list_agents(store: StoreDep, agent: AgentDep) -> dict[str, Any]:
    return {"items": [agent_dict(a) for a in store.list_agents()]}


@router.get("/agents/{name}", response_model=S.AgentOut)
def get_agent(store: StoreDep, agent: AgentDep, name: AgentName) -> dict[str, Any]:
    return agent_dict(store.get_agent(name))


@router.post("/agents", response_model=S.AgentOut, status_code=201)
def add_agent(store: StoreDep, agent: AgentDep, new: S.AgentIn) -> JSONResponse:
    added = store.add_agent(new.name, new.role, new.shift, new.display_name)
    return JSONResponse(agent_dict(added), 201)


@router.post("/agents/{name}/token", response_model=S.TokenOut)
def issue_token(store: StoreDep, agent: AgentDep, name: AgentName) -> dict[str, str]:
    """A new token for the agent (admins); the old one stops working."""
    return {"token": store.issue_token(name)}


def full_customer(c: Customer) -> dict[str, Any]:
    """The customer card: phone, email and address masked (whole only from the reveal)."""
    return {
        **customer_dict(c),
        "created_at": iso(c.created_at),
        "phone_masked": mask_phone(c.phone) or None,
        "email_masked": mask_email(c.email) or None,
        "address_masked": mask_address(c.address) or None,
    }


@router.post("/customers", response_model=S.CustomerOut, status_code=201)
def add_customer(store: StoreDep, agent: AgentDep, new: S.CustomerIn) -> JSONResponse:
    customer = store.add_customer(NewCustomer(**new.model_dump()))
    return JSONResponse(full_customer(customer), 201)


@router.post("/customers/retier", response_model=S.CountOut)
def retier(store: StoreDep, agent: AgentDep) -> dict[str, int]:
    """Re-rank every customer's tier (admins); returns how many changed."""
    return {"count": store.retier_customers()}


@router.get("/customers/{customer_id}", response_model=S.CustomerOut)
def get_customer(store: StoreDep, agent: AgentDep, customer_id: ObjectId) -> dict[str, Any]:
    return full_customer(store.get_customer(customer_id))


@router.post("/customers/{customer_id}/reveal", response_model=S.CustomerOut)
def reveal_contact(
    store: StoreDep,
    agent: AgentDep,
    customer_id: ObjectId,
    ticket_id: Annotated[int | None, Query(ge=1, le=S.MAX_ID)] = None,
) -> dict[str, Any]:
    """Phone, email and address, for the owner of the customer's ticket (`ticket_id`, or any
    of theirs) or a supervisor; the reveal, or its refusal, is written to the event log."""
    c = store.reveal_contact(customer_id, actor=agent.name, ticket_id=ticket_id)
    return {**full_customer(c), "phone": c.phone, "email": c.email, "address": c.address}


@router.get("/customers/{customer_id}/orders", response_model=S.Items)
def customer_orders(store: StoreDep, agent: AgentDep, customer_id: ObjectId) -> dict[str, Any]:
    orders = store.customer_orders(customer_id)
    return {"items": [order_out(o) for o in orders]}


def order_out(o: Order) -> dict[str, Any]:
    return {**(order_dict(o) or {}), "customer_id": o.customer_id}


@router.get("/customers/{customer_id}/tickets", response_model=S.Items)
def customer_tickets(
    store: StoreDep,
    agent: AgentDep,
    customer_id: ObjectId,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict[str, Any]:
    found = store.customer_tickets(customer_id, limit=limit)
    return {"items": [ticket_dict(t) for t in found]}


@router.post("/orders", response_model=S.Items, status_code=201)
def add_order(store: StoreDep, agent: AgentDep, new: S.OrderIn) -> JSONResponse:
    order = store.add_order(NewOrder(**new.model_dump()))
    return JSONResponse(
        {"items": [{**(order_dict(order) or {}), "customer_id": order.customer_id}]}, 201
    )


@router.put("/presence", status_code=204)
def set_presence(store: StoreDep, agent: AgentDep, where: S.PresenceIn) -> Response:
    """The caller has this ticket open (or none): a heartbeat."""
    store.set_presence(actor=agent.name, ticket_id=where.ticket_id)
    return Response(status_code=204)


@router.get("/presence", response_model=S.Items)
def viewers(
    store: StoreDep,
    agent: AgentDep,
    ids: Annotated[
        str | None, Query(max_length=4000, pattern=r"^[0-9]{1,10}(,[0-9]{1,10})*$")
    ] = None,
) -> dict[str, Any]:
    """Who has which ticket open now; `ids=1,2,3` to ask about some tickets only."""
    wanted = [int(i) for i in ids.split(",")] if ids else None
    found = store.viewers(wanted)
    return {"items": [{"ticket_id": t, "agents": list(names)} for t, names in found.items()]}
