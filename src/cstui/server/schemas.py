"""The API's request bodies as pydantic models, and its one error shape.

What responses carry is `cstui.wire` (one public model per resource, every field named);
`/openapi.json` documents both, where clients and the fuzz tests read them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

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
from cstui.wire import Wire

TEXT = Field(min_length=1, max_length=20_000)
REASON = Field(min_length=1, max_length=2_000)
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a larger one is bad input, not a crash
ID = Field(ge=1, le=MAX_ID)
SURROGATE = re.compile("[\ud800-\udfff]")
MAX_FILES = 10  # attachments a message may carry


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


class TicketPatch(Body):
    """One change per PATCH, checked against If-Match: the status or the priority."""

    status: Literal["open", "pending", "on_hold", "closed"] | None = None
    priority: Priority | None = None


class AttachmentIn(Body):
    """A file sent in a JSON body: its name (made safe when stored) and its bytes in
    standard base64. Its type is read from the bytes."""

    name: str = Field(min_length=1, max_length=255)
    content_base64: str = Field(min_length=1, description="the file's bytes, standard base64")


ATTACHMENTS: Any = Field(default_factory=list, max_length=MAX_FILES)


class MessageIn(Body):
    kind: Literal["reply", "note"]
    text: str = TEXT
    attachments: list[AttachmentIn] = ATTACHMENTS


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
