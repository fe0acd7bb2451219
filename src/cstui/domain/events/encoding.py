"""Reading and writing payloads: `decode`, `encode` and their kin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cstui.domain.events.base import MalformedEvent, P, Payload
from cstui.domain.events.spec import AROUND, DUMPS, LOADS, spec_for_kind, spec_of
from cstui.domain.model import Event, EventKind

# -- reading and writing ------------------------------------------------------------------
#
# Each function first runs the flat function generated for the payload's class (see
# `Spec`); when that raises, for whatever reason (it is made on first use, so at first it
# is missing), the checked loop runs instead and says what is wrong.


def decode(kind: EventKind | str, old: Any, new: Any) -> Payload:
    """The payload of a `kind` event from its parsed `old` and `new` objects (or None)."""
    try:
        return LOADS[kind](old, new)  # type: ignore[index]
    except Exception:  # the checked loop, below, says what (and its error stands alone)
        pass
    spec = spec_for_kind(kind)
    LOADS.setdefault(spec.cls.KIND, spec.loader())
    return spec.checked_load(old, new)


def payload(event: Event) -> Payload:
    """`decode` of a read event."""
    return decode(event.kind, event.old, event.new)


def payload_as(cls: type[P], event: Event) -> P:
    """`payload`, which must be a `cls` (a kind's class, or a base such as OwnerChange)."""
    got = decode(event.kind, event.old, event.new)
    if not isinstance(got, cls):
        raise MalformedEvent(f"event {event.kind}: not a {cls.__name__} event")
    return got


def encode(p: Payload) -> tuple[str | None, str | None]:
    """The `old` and `new` columns' JSON text (None for a side without fields)."""
    try:
        return DUMPS[type(p)](p)
    except Exception:  # the checked loop, below, says what
        pass
    spec = spec_of(p)
    DUMPS.setdefault(spec.cls, spec.dumper())
    return spec.checked_dump(p)


def encode_around(p: Payload, name: str) -> tuple[str | None, tuple[str, str]]:
    """`encode`, with the `new` text cut around the value of the int field `name`: for a
    bulk writer that learns an id only when the rows before it are written."""
    fast = AROUND.get((type(p), name)) or spec_of(p).around(name)
    try:
        return fast(p)  # type: ignore[no-any-return]
    except Exception:  # the checked loop, below, says what
        pass
    return spec_of(p).checked_around(p, name)


def columns(
    kind: EventKind | Payload, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> tuple[EventKind, str | None, str | None]:
    """What a store writes for an event given as a payload, or as a kind and two objects
    (checked against the kind's class, so the log only ever holds what decodes)."""
    if isinstance(kind, Payload):
        if old is not None or new is not None:
            raise TypeError("an event given as a payload takes no old or new objects")
        p = kind
    else:
        p = decode(kind, old, new)
    return (p.KIND, *encode(p))
