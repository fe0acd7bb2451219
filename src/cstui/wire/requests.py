"""The request bodies of the API's writes on tickets, as pydantic models.

The table of commands (`cstui.commands`) names each write route's body, so the team server
reads it and the HTTP store writes it from the same model; `/openapi.json` documents them.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from cstui.domain.model import (
    Category,
    Channel,
    ComplaintCause,
    Department,
    EscalationState,
    Priority,
    ResolutionCode,
)

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
