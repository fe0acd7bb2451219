"""The API's bodies as pydantic models: what requests may carry, what responses promise.

Responses are built by `cstui.serialize` (the same JSON as `--json` on the CLI) and sent as
they are; these models document them in `/openapi.json`, where clients and the fuzz tests
read them. Extra fields are allowed in responses: the API only ever adds.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, field_validator

from cstui.domain.model import (
    Category,
    Channel,
    ComplaintCause,
    Department,
    EscalationState,
    GoodsType,
    Priority,
    ResolutionCode,
    Role,
    Shift,
    Status,
)

TEXT = Field(min_length=1, max_length=20_000)
REASON = Field(min_length=1, max_length=2_000)
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a larger one is bad input, not a crash
ID = Field(ge=1, le=MAX_ID)
SURROGATE = re.compile("[\ud800-\udfff]")


class Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is not silently ignored.

    Numbers and flags are strict (`0` is not `false`, `"5"` is not `5`): what the schema
    calls a boolean or an integer is what is accepted.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """Text every store can keep, refused here alike on every backend: no NUL (which
        PostgreSQL cannot store) and no lone surrogate (JSON can escape one, `\\ud800`, but
        it has no UTF-8 form; pydantic lets it into a `str` without length limits)."""
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if not isinstance(text, str):
                continue
            if "\x00" in text:
                raise ValueError("contains a NUL character")
            if not text.isascii() and SURROGATE.search(text):
                raise ValueError("contains a lone surrogate (U+D800–U+DFFF)")
        return value


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- responses ----------------------------------------------------------------------------


class ErrorOut(Out):
    error: str
    kind: str
    owner: str | None = None


class CustomerOut(Out):
    id: int
    name: str
    tier: str
    # The card's contact, masked (138****5678); whole only from the audited reveal, which
    # answers `phone`, `email` and `address` instead.
    phone_masked: str | None = None
    email_masked: str | None = None
    address_masked: str | None = None


class OrderOut(Out):
    number: str
    tracking_no: str | None
    logistics_status: str | None


class DueOut(Out):
    first_response: str | None
    next_response: str | None
    resolution: str | None


class EscalationOut(Out):
    id: int
    ticket_id: int
    department: str
    reason: str
    state: str
    green: bool
    requested_by: str
    created_at: str | None
    due_at: str | None
    notes: list[str]


class MessageOut(Out):
    id: int
    ticket_id: int
    kind: str
    channel: str
    author: str
    text: str
    created_at: str | None


class TicketOut(Out):
    id: int
    subject: str
    status: str
    priority: str
    channel: str
    category: str
    owner: str | None
    dispatch_count: int
    version: int
    green_channel: bool
    customer: CustomerOut
    order: OrderOut | None
    due: DueOut
    escalations: list[EscalationOut]
    links: list[int]
    messages: list[MessageOut] | None = None


class TicketPage(Out):
    items: list[TicketOut]
    next_cursor: str | None


class TicketMatchOut(Out):
    field: str  # id order tracking phone subject customer message
    text: str
    highlights: list[list[int]]  # [start, end] spans into text


class TicketHitOut(TicketOut):
    match: TicketMatchOut | None


class TicketHitPage(Out):
    items: list[TicketHitOut]
    next_cursor: str | None


class CountOut(Out):
    count: int


class TransferOut(Out):
    id: int
    ticket_id: int
    to: str
    reason: str
    state: str


class TransferOutcomeOut(Out):
    ticket: TicketOut
    request: TransferOut | None


class AgentOut(Out):
    id: int
    name: str
    role: str
    shift: str | None


class TokenOut(Out):
    token: str


class ArticleOut(Out):
    id: int
    kind: str
    title: str
    body: str
    lang: str
    version: int
    draft: bool


class HitOut(Out):
    id: int
    title: str
    snippet: str
    kind: str
    lang: str


class HitsOut(Out):
    items: list[HitOut]


class EventOut(Out):
    id: int
    ticket_id: int | None
    actor: str | None
    at: str
    kind: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


class EventsOut(Out):
    items: list[EventOut]
    last_id: int


class Items(Out):
    items: list[dict[str, Any]]


# -- requests -----------------------------------------------------------------------------


class TicketPatch(Body):
    """One change per PATCH, checked against If-Match: the status or the priority."""

    status: Literal["open", "pending", "on_hold", "closed"] | None = None
    priority: Priority | None = None


class MessageIn(Body):
    kind: Literal["reply", "note"]
    text: str = TEXT


class EscalationIn(Body):
    department: Department
    reason: str = REASON
    green: StrictBool = False


class EscalationStateIn(Body):
    state: EscalationState
    note: str | None = Field(None, max_length=2_000)


class MergeIn(Body):
    into: StrictInt = Field(ge=1, le=2**31 - 1)  # the ticket that stays


class LinkIn(Body):
    other: StrictInt = Field(ge=1, le=2**31 - 1)


class TransferIn(Body):
    to: str = Field(min_length=1, max_length=64)
    reason: str = REASON


class DecisionIn(Body):
    approve: StrictBool
    note: str | None = Field(None, max_length=2_000)


class ResolveIn(Body):
    code: ResolutionCode
    override: StrictBool = False


class ReasonIn(Body):
    reason: str = REASON


class ComplaintIn(Body):
    cause: ComplaintCause


class CsatIn(Body):
    score: StrictInt = Field(ge=1, le=5)


class FollowUpIn(Body):
    due: str = Field(description="ISO date-time", max_length=40)


class FollowUpDoneIn(Body):
    note: str = Field(max_length=2_000)


class PresenceIn(Body):
    ticket_id: StrictInt | None = Field(None, ge=1, le=MAX_ID)


class AgentIn(Body):
    name: str = Field(min_length=1, max_length=64)
    role: Role = Role.AGENT
    shift: Shift | None = None
    display_name: str | None = Field(None, max_length=200)


class CustomerIn(Body):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=500)


class OrderIn(Body):
    number: str = Field(min_length=1, max_length=40)  # the column lengths of `orders`
    customer_id: StrictInt = ID
    amount: Annotated[float, Strict()] = Field(ge=0, le=1e12)
    goods_type: GoodsType = GoodsType.GENERAL
    tracking_no: str | None = Field(None, max_length=40)
    logistics_status: str | None = Field(None, max_length=24)


class TicketIn(Body):
    customer_id: StrictInt = ID
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(max_length=20_000)
    channel: Channel
    category: Category
    priority: Priority = Priority.NORMAL
    order_number: str | None = Field(None, max_length=40)
    complaint_cause: ComplaintCause | None = None


class CustomerMessageIn(Body):
    text: str = TEXT
    channel: Channel | None = None


class ArticleIn(Body):
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=50_000)
    kind: Literal["faq", "template", "case"] = "faq"
    lang: Literal["zh", "en"] = "zh"
    tags: list[str] = Field(default_factory=list, max_length=50)
    category: Category | None = None


class ArticlePatch(Body):
    title: str | None = Field(None, min_length=1, max_length=500)
    body: str | None = Field(None, min_length=1, max_length=50_000)
    tags: list[str] | None = Field(None, max_length=50)


STATUSES = tuple(s.value for s in Status)


class RoutingIn(Body):
    paused: StrictBool
