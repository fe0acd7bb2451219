"""The payload classes' base: the registry of kinds, and how a payload class is made.

A payload class is a frozen, keyword-only dataclass registered under its `KIND`; see the
package's docstring for how its fields map to the `old` and `new` objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar, dataclass_transform

from cstui.domain.model import EventKind
from cstui.errors import BadInput

OMITTED = "cstui.omitted"


class MalformedEvent(BadInput):
    """An event whose kind is unknown or whose payload does not fit its kind's class."""


class Payload:
    """Base of the payload classes; `KIND` is the event kind a class describes."""

    __slots__ = ()
    KIND: ClassVar[EventKind]


P = TypeVar("P", bound=Payload)
_REGISTERED: dict[EventKind, type[Payload]] = {}
PAYLOADS: Mapping[EventKind, type[Payload]] = MappingProxyType(_REGISTERED)  # kind -> class


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field,))
def payload_class(cls: type[P]) -> type[P]:
    """A frozen, keyword-only payload class, registered under its KIND (bases have none)."""
    if cls.__doc__ is None:  # else dataclass works one out from the signature, slowly
        cls.__doc__ = f"The payload of a {cls.KIND.value} event."
    made = dataclass(frozen=True, slots=True, kw_only=True, init=False)(cls)
    made.__init__ = _quick_init(made)  # type: ignore[method-assign]
    if "KIND" in cls.__dict__:
        _REGISTERED[made.KIND] = made
    return made


def _quick_init(cls: type[Payload]) -> Callable[..., None]:
    """The dataclass's keyword-only `__init__`, setting each slot through its descriptor:
    a frozen dataclass's own goes through `object.__setattr__` and takes twice as long, and
    the seed makes a payload for each of its hundreds of thousands of events."""
    namespace: dict[str, Any] = {}
    params, lines = ["self", "*"], []
    for f in fields(cls):  # type: ignore[arg-type]
        namespace[f"set_{f.name}"] = getattr(cls, f.name).__set__
        if f.default is MISSING:
            params.append(f.name)
        else:
            namespace[f"default_{f.name}"] = f.default
            params.append(f"{f.name}=default_{f.name}")
        lines.append(f"    set_{f.name}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        lines.append("    self.__post_init__()")
    source = [f"def __init__({', '.join(params)}):", *lines] if lines else ["def __init__(self):"]
    init = run_source(source if lines else [*source, "    pass"], namespace, "__init__")
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init  # type: ignore[no-any-return]


def run_source(source: list[str], namespace: dict[str, Any], name: str) -> Any:
    """Define the function `name` from our own source text (made from the classes here)."""
    exec("\n".join(source), namespace)
    return namespace[name]


def omitted(default: Any = None) -> Any:
    """A field the store leaves out of the payload while it holds `default`."""
    return field(default=default, metadata={OMITTED: True})
