"""The API's request bodies as pydantic models, and its one error shape.

What responses carry is `cstui.wire` (one public model per resource, every field named);
`/openapi.json` documents both, where clients and the fuzz tests read them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, Strict, StrictBool, StrictInt, model_validator

from cstui.domain.model import (
    Category,
    GoodsType,
    Role,
    Shift,
    Status,
)
from cstui.wire import Wire

# The bodies of the writes on tickets live with the wire (the table of commands names them,
# and the HTTP store writes them); what other bodies share comes from there too.
from cstui.wire.requests import ATTACHMENTS, ID, MAX_ID, AttachmentIn, Body
from cstui.wire.requests import REASON as REASON
from cstui.wire.requests import TEXT as TEXT

# -- responses: the bodies of `cstui.wire`, and the one error shape ------------------------


class InputError(Wire):
    """One thing wrong with a request, as FastAPI's validation reports it."""

    type: str
    loc: list[str | int] = Field(description="where: body, query, path or header, then the name")
    msg: str
    input: Any
    ctx: dict[str, Any] | None = None


class ErrorOut(Wire):
    error: str = Field(description="one line, naming the field when the input is wrong")
    kind: str = Field(description="the error's class, e.g. already_owned, stale_version")
    owner: str | None = Field(None, description="who has the ticket (a lost take)")
    detail: list[InputError] | None = Field(None, description="a request that is not valid")


# -- requests -----------------------------------------------------------------------------


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


class MarkReadIn(Body):
    ids: list[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(max_length=500)


class RoutingIn(Body):
    paused: StrictBool


class IntakeIn(Body):
    """A customer's message from a chat, app or social platform (`POST /intake/{channel}`).

    `message_id` is the platform's id of the message: sent again, it is stored once.
    `conversation_id` is the platform's conversation, which threads the messages of one
    customer into one ticket."""

    message_id: str = Field(min_length=1, max_length=200)
    conversation_id: str = Field(min_length=1, max_length=200)
    sender_id: str = Field(min_length=1, max_length=200, description="the platform's user id")
    sender_name: str = Field("", max_length=200)
    text: str = Field("", max_length=20_000)
    subject: str | None = Field(None, max_length=500)
    attachments: list[AttachmentIn] = ATTACHMENTS

    @model_validator(mode="after")
    def _says_something(self) -> IntakeIn:
        if not self.text.strip() and not self.attachments:
            raise ValueError("text: empty, and no attachments")
        return self
