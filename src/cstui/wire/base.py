"""What every response body shares: strict models, domain conversions, ISO times, lists.

A body names every field it sends: an unknown one is refused (`extra="forbid"`), so the
OpenAPI schema FastAPI writes from these models is exact (`additionalProperties: false`).

`encode` builds a body's JSON-ready dict by hand, and the server sends that dict as it is:
it is the hot path (a queue page of 50 tickets on every refresh of every console), where
building the models and dumping them took 40% longer, and pydantic would write UTC as `Z`
where the API has always written `+00:00`. `from_domain` validates what `encode` built
against the model, so the two cannot drift unnoticed (the tests run it over a whole seeded
store, and check every route's answers against the schema).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from cstui.domain.model import Page as DomainPage

D = TypeVar("D")
T = TypeVar("T", bound=BaseModel)
Json = dict[str, Any]


# A date-time as the API writes it: `datetime.isoformat()`, e.g. 2026-11-20T02:00:00+00:00
# (read back by pydantic itself, the offset kept).
Stamp = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class Wire(BaseModel):
    """A body the server sends: these fields, each always present unless it has a default."""

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True)


class Public(Wire, Generic[D]):
    """The body of one domain object `D`: built from it, and turned back into it."""

    @classmethod
    def encode(cls, obj: D) -> Json:
        """The JSON-ready dict of `obj`: what the server sends and `--json` prints."""
        raise NotImplementedError

    @classmethod
    def from_domain(cls, obj: D) -> Self:
        """`obj` as this model: what `encode` built, checked field by field."""
        return cls.model_validate(cls.encode(obj))

    def to_domain(self) -> D:
        """The domain object again (what the body leaves out, e.g. a ticket's customer's
        contact, stays empty)."""
        raise NotImplementedError


class Items(Wire, Generic[T]):
    """A whole list."""

    items: list[T]


class Page(Items[T], Generic[T]):
    """One keyset page of a list."""

    next_cursor: str | None = Field(description="where the next page starts; null at the end")


def items(model: type[Public[D]], objs: Iterable[D]) -> Json:
    encode = model.encode
    return {"items": [encode(o) for o in objs]}


def page(model: type[Public[D]], found: DomainPage[D]) -> Json:
    encode = model.encode
    return {"items": [encode(o) for o in found.items], "next_cursor": found.next_cursor}


class CountPublic(Wire):
    count: int


class TokenPublic(Wire):
    token: str = Field(description="shown once: only its hash is kept")


class HealthPublic(Wire):
    status: str
    version: str
