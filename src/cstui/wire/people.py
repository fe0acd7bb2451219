"""Agents, customers (their card masked, whole only from the audited reveal), orders, presence."""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from cstui.domain.model import Agent, Customer, Order, Role, Shift
from cstui.domain.privacy import mask_address, mask_email, mask_phone
from cstui.wire.base import Json, Public, Stamp, iso
from cstui.wire.tickets import CustomerSummary, OrderSummary


class AgentPublic(Public[Agent]):
    id: int
    name: str
    role: Role
    shift: Shift | None
    display_name: str | None
    routing_paused: bool = Field(description="no new tickets are routed to them")

    @classmethod
    def encode(cls, a: Agent) -> Json:
        return {
            "id": a.id,
            "name": a.name,
            "role": a.role.value,
            "shift": a.shift.value if a.shift else None,
            "display_name": a.display_name,
            "routing_paused": a.routing_paused,
        }

    def to_domain(self) -> Agent:
        return Agent(
            id=self.id,
            name=self.name,
            role=self.role,
            shift=self.shift,
            display_name=self.display_name,
            routing_paused=self.routing_paused,
        )


class CustomerPublic(CustomerSummary):
    """The customer card: phone, email and address masked (138****5678)."""

    created_at: Stamp | None
    phone_masked: str | None
    email_masked: str | None
    address_masked: str | None

    @classmethod
    def encode(cls, c: Customer) -> Json:
        return {
            **CustomerSummary.encode(c),
            "created_at": iso(c.created_at),
            "phone_masked": mask_phone(c.phone) or None,
            "email_masked": mask_email(c.email) or None,
            "address_masked": mask_address(c.address) or None,
        }

    def to_domain(self) -> Customer:
        """The card as a customer whose contact is masked (masking it again is harmless)."""
        return Customer(
            id=self.id,
            name=self.name,
            tier=self.tier,
            phone=self.phone_masked,
            email=self.email_masked,
            address=self.address_masked,
            annual_spend=self.annual_spend,
            order_count=self.order_count,
            complaint_count=self.complaint_count,
            created_at=self.created_at,
        )


class CustomerRevealed(CustomerPublic):
    """The card with the whole phone, email and address: the audited reveal's answer."""

    phone: str | None
    email: str | None
    address: str | None

    @classmethod
    def encode(cls, c: Customer) -> Json:
        whole = {"phone": c.phone, "email": c.email, "address": c.address}
        return {**CustomerPublic.encode(c), **whole}

    def to_domain(self) -> Customer:
        return replace(
            super().to_domain(), phone=self.phone, email=self.email, address=self.address
        )


class OrderPublic(OrderSummary, Public[Order]):
    customer_id: int

    @classmethod
    def encode(cls, o: Order) -> Json:
        return {**OrderSummary.encode(o), "customer_id": o.customer_id}

    def to_domain(self) -> Order:
        return self.of_customer(self.customer_id)


Viewing = tuple[int, tuple[str, ...]]  # a ticket, and the agents who have it open


class ViewingPublic(Public[Viewing]):
    ticket_id: int
    agents: list[str] = Field(description="who has the ticket open in their console now")

    @classmethod
    def encode(cls, v: Viewing) -> Json:
        return {"ticket_id": v[0], "agents": list(v[1])}

    def to_domain(self) -> Viewing:
        return self.ticket_id, tuple(self.agents)
