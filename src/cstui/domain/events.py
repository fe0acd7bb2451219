"""The event log's schema: one payload class per event kind, and its one encoding.

Every change is one `Event` whose `old` and `new` are small JSON objects (the `events`
table's two text columns), and every quality figure is computed from them. Here each
`EventKind` has exactly one frozen dataclass naming the fields of both objects: a field
`old_<key>` is `old["<key>"]`, any other field is `new["<key>"]` (a trailing underscore is
dropped, so `from_` is `new["from"]`). A field made with `omitted()` is left out of the
object while it holds its default; every other field is always there, null or not.

Field types: str, int, float, bool, an enum (its value), an aware datetime (ISO 8601 text),
a tuple of str (a JSON list), each of them or None (JSON null).

`encode` writes a payload as the two columns' text, exactly as `json.dumps(...,
ensure_ascii=False, sort_keys=True)` would; `decode` reads a kind and the two parsed
objects back into its payload. Both check every field, so an unknown kind or a missing,
extra or mistyped field raises `MalformedEvent`, naming the kind and the field. Both are
hand-written loops over precomputed fields, not a validation library: the seed encodes and
the metrics decode hundreds of thousands of events at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from enum import Enum
from functools import partial
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from types import MappingProxyType, NoneType, UnionType
from typing import (
    Any,
    ClassVar,
    TypeVar,
    Union,
    dataclass_transform,
    get_args,
    get_origin,
    get_type_hints,
)

from cstui.domain.model import (
    ArticleKind,
    Category,
    Channel,
    ComplaintCause,
    Department,
    EscalationState,
    Event,
    EventKind,
    Priority,
    ResolutionCode,
    Role,
    Status,
    Tier,
)
from cstui.errors import BadInput

_OMIT = "cstui.omitted"


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
def _payload(cls: type[P]) -> type[P]:
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
    init = _exec(source if lines else [*source, "    pass"], namespace, "__init__")
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init  # type: ignore[no-any-return]


def _exec(source: list[str], namespace: dict[str, Any], name: str) -> Any:
    """Define the function `name` from our own source text (made from the classes here)."""
    exec("\n".join(source), namespace)
    return namespace[name]


def omitted(default: Any = None) -> Any:
    """A field the store leaves out of the payload while it holds `default`."""
    return field(default=default, metadata={_OMIT: True})


# -- the payloads, in EventKind's order ---------------------------------------------------


@_payload
class Created(Payload):
    KIND = EventKind.CREATED
    channel: Channel
    category: Category
    priority: Priority
    tier: Tier
    customer_id: int
    complaint: bool


@_payload
class OwnerChange(Payload):
    """An event that gives the ticket a new owner (`OWNERSHIP_EVENTS`)."""

    owner: str
    old_owner: str | None = None


@_payload
class Taken(OwnerChange):
    KIND = EventKind.TAKEN


@_payload
class TransferRequested(Payload):
    KIND = EventKind.TRANSFER_REQUESTED
    to: str
    reason: str
    request_id: int
    old_owner: str | None


@_payload
class OwnerMoved(OwnerChange):
    """A new owner for a reason: approved, transferred, stolen or routed."""

    reason: str


@_payload
class TransferApproved(OwnerMoved):
    KIND = EventKind.TRANSFER_APPROVED


@_payload
class TransferDenied(Payload):
    KIND = EventKind.TRANSFER_DENIED
    request_id: int
    note: str | None


@_payload
class Transferred(OwnerMoved):
    KIND = EventKind.TRANSFERRED


@_payload
class Stolen(OwnerMoved):
    KIND = EventKind.STOLEN


@_payload
class Routed(OwnerMoved):
    KIND = EventKind.ROUTED


@_payload
class StatusChanged(Payload):
    KIND = EventKind.STATUS
    status: Status
    old_status: Status


@_payload
class PriorityChanged(Payload):
    KIND = EventKind.PRIORITY
    priority: Priority
    old_priority: Priority


@_payload
class CustomerMessage(Payload):
    KIND = EventKind.CUSTOMER_MESSAGE
    message_id: int
    channel: Channel


@_payload
class Reply(Payload):
    KIND = EventKind.REPLY
    message_id: int


@_payload
class Note(Payload):
    KIND = EventKind.NOTE
    message_id: int


@_payload
class Escalated(Payload):
    KIND = EventKind.ESCALATED
    escalation_id: int
    department: Department
    green: bool
    due_at: datetime
    reason: str


@_payload
class EscalationStateChanged(Payload):
    KIND = EventKind.ESCALATION_STATE
    escalation_id: int
    state: EscalationState
    note: str | None
    old_state: EscalationState


@_payload
class GreenChannel(Payload):
    KIND = EventKind.GREEN_CHANNEL
    reason: str


@_payload
class Complaint(Payload):
    KIND = EventKind.COMPLAINT
    cause: ComplaintCause | None
    second: bool


@_payload
class Resolved(Payload):
    KIND = EventKind.RESOLVED
    code: ResolutionCode
    owner: str | None
    old_status: Status


@_payload
class ResolveOverride(Payload):
    KIND = EventKind.RESOLVE_OVERRIDE
    open_escalations: int


@_payload
class Reopened(Payload):
    KIND = EventKind.REOPENED
    status: Status
    old_status: Status


@_payload
class Closed(Payload):
    """Not written: closing a ticket is a STATUS event. Kept so that the kind decodes."""

    KIND = EventKind.CLOSED


@_payload
class FollowUpScheduled(Payload):
    KIND = EventKind.FOLLOW_UP_SCHEDULED
    due: datetime


@_payload
class FollowUpDone(Payload):
    KIND = EventKind.FOLLOW_UP_DONE
    note: str


@_payload
class Csat(Payload):
    KIND = EventKind.CSAT
    score: int  # 1..5 when written; the metrics ignore any other
    owner: str | None


@_payload
class Merged(Payload):
    """Logged on both tickets: the duplicate names `into`, the survivor `from_`."""

    KIND = EventKind.MERGED
    into: int | None = omitted()
    from_: int | None = omitted()

    def __post_init__(self) -> None:
        if (self.into is None) == (self.from_ is None):
            raise MalformedEvent("event merged: new: expected exactly one of into, from")


@_payload
class Linked(Payload):
    KIND = EventKind.LINKED
    other: int


@_payload
class PiiRevealed(Payload):
    KIND = EventKind.PII_REVEALED
    customer_id: int
    fields: tuple[str, ...]


@_payload
class RevealRefused(Payload):
    KIND = EventKind.REVEAL_REFUSED
    customer_id: int
    reason: str


@_payload
class AgentAdded(Payload):
    KIND = EventKind.AGENT_ADDED
    agent: str
    role: Role


@_payload
class ArticleAdded(Payload):
    KIND = EventKind.ARTICLE_ADDED
    article_id: int
    kind: ArticleKind
    title: str
    draft: bool = omitted(False)
    source_ticket_id: int | None = omitted()


@_payload
class ArticleEdited(Payload):
    KIND = EventKind.ARTICLE_EDITED
    article_id: int
    version: int
    changed: tuple[str, ...]
    old_version: int


@_payload
class ArticlePublished(Payload):
    KIND = EventKind.ARTICLE_PUBLISHED
    article_id: int
    version: int
    old_version: int


@_payload
class RoutingPaused(Payload):
    KIND = EventKind.ROUTING_PAUSED
    agent: str
    paused: bool
    old_paused: bool


@_payload
class ArticlesLoaded(Payload):
    KIND = EventKind.ARTICLES_LOADED
    count: int
    first_id: int
    last_id: int


# -- reading and writing ------------------------------------------------------------------
#
# Each function first runs the flat function generated for the payload's class (see
# `_Spec`); when that raises, for whatever reason (it is made on first use, so at first it
# is missing), the checked loop runs instead and says what is wrong.


def decode(kind: EventKind | str, old: Any, new: Any) -> Payload:
    """The payload of a `kind` event from its parsed `old` and `new` objects (or None)."""
    try:
        return _LOADS[kind](old, new)  # type: ignore[index]
    except Exception:  # the checked loop, below, says what (and its error stands alone)
        pass
    spec = _spec_for_kind(kind)
    _LOADS.setdefault(spec.cls.KIND, spec.loader())
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
        return _DUMPS[type(p)](p)
    except Exception:  # the checked loop, below, says what
        pass
    spec = _spec_of(p)
    _DUMPS.setdefault(spec.cls, spec.dumper())
    return spec.checked_dump(p)


def encode_around(p: Payload, name: str) -> tuple[str | None, tuple[str, str]]:
    """`encode`, with the `new` text cut around the value of the int field `name`: for a
    bulk writer that learns an id only when the rows before it are written."""
    fast = _AROUND.get((type(p), name)) or _spec_of(p).around(name)
    try:
        return fast(p)  # type: ignore[no-any-return]
    except Exception:  # the checked loop, below, says what
        pass
    return _spec_of(p).checked_around(p, name)


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


def _spec_for_kind(kind: Any) -> _Spec:
    try:
        return _spec(PAYLOADS[EventKind(kind)])
    except (ValueError, KeyError):
        raise MalformedEvent(f"event: unknown kind {_shown(kind)}") from None


def _spec_of(p: Payload) -> _Spec:
    if PAYLOADS.get(getattr(type(p), "KIND", None)) is not type(p):  # type: ignore[arg-type]
        raise TypeError(f"not an event payload: {type(p).__name__}")
    return _spec(type(p))


def _spec(cls: type[Payload]) -> _Spec:
    """A class's fields, worked out on first use: not at import, which every command pays."""
    spec = _SPECS.get(cls)
    if spec is None:
        spec = _SPECS[cls] = _Spec.of(cls)
    return spec


# -- how each type is read and written ------------------------------------------------------
#
# Each type has a checked reader and writer, which say what is wrong, and the same two as
# source text (expressions on a value `v`) for the generated functions; those may raise
# anything on a wrong value.


class _Wrong(Exception):
    """A value that does not fit its field; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class _Codec:
    expected: str
    load: Callable[[Any], Any]  # parsed JSON -> the field's value
    dump: Callable[[Any], str]  # the field's value -> JSON text
    load_src: str
    dump_src: str


def _bad() -> Any:
    raise _Wrong("")


def _check(ok: bool, expected: str) -> None:
    if not ok:
        raise _Wrong(expected)


def _load_str(v: Any) -> str:
    _check(isinstance(v, str), "a string")
    return str(v)


def _dump_str(v: Any) -> str:
    return str(encode_basestring(_load_str(v)))


def _load_int(v: Any) -> int:
    _check(isinstance(v, int) and not isinstance(v, bool), "an integer")
    return int(v)


def _dump_int(v: Any) -> str:
    return str(_load_int(v))


def _load_float(v: Any) -> float:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    _check(ok, "a finite number")
    return float(v)


def _dump_float(v: Any) -> str:
    return repr(_load_float(v))


def _load_bool(v: Any) -> bool:
    _check(v is True or v is False, "true or false")
    return bool(v)


def _dump_bool(v: Any) -> str:
    return "true" if _load_bool(v) else "false"


def _load_datetime(v: Any) -> datetime:
    _check(isinstance(v, str), "an ISO 8601 time")
    try:
        at = datetime.fromisoformat(v)
    except ValueError:
        raise _Wrong("an ISO 8601 time") from None
    _check(at.tzinfo is not None, "a time with its UTC offset")
    return at


def _dump_datetime(v: Any) -> str:
    _check(isinstance(v, datetime) and v.tzinfo is not None, "a time with its UTC offset")
    return str(encode_basestring(v.isoformat()))


def _load_strings(v: Any) -> tuple[str, ...]:
    ok = isinstance(v, list | tuple) and all(isinstance(s, str) for s in v)
    _check(ok, "a list of strings")
    return tuple(str(s) for s in v)


def _dump_strings(v: Any) -> str:
    return f"[{', '.join(encode_basestring(s) for s in _load_strings(v))}]"


# The generated functions' globals: the helpers above, and two tables per enum.
_NAMESPACE: dict[str, Any] = {
    "_bad": _bad,
    "_esc": encode_basestring,
    "_new": object.__new__,
    **{f.__name__: f for f in (_load_float, _dump_float, _load_datetime, _dump_datetime)},
    **{f.__name__: f for f in (_load_strings, _dump_strings)},
}

_CODECS: dict[Any, _Codec] = {
    str: _Codec("a string", _load_str, _dump_str, "v if type(v) is str else _bad()", "_esc(v)"),
    int: _Codec(
        "an integer",
        _load_int,
        _dump_int,
        "v if type(v) is int else _bad()",
        "repr(v) if type(v) is int else _bad()",
    ),
    float: _Codec("a finite number", _load_float, _dump_float, "_load_float(v)", "_dump_float(v)"),
    bool: _Codec(
        "true or false",
        _load_bool,
        _dump_bool,
        "v if v is True or v is False else _bad()",
        '"true" if v is True else "false" if v is False else _bad()',
    ),
    datetime: _Codec(
        "an ISO 8601 time", _load_datetime, _dump_datetime, "_load_datetime(v)", "_dump_datetime(v)"
    ),
    tuple[str, ...]: _Codec(
        "a list of strings", _load_strings, _dump_strings, "_load_strings(v)", "_dump_strings(v)"
    ),
}


def _enum_codec(enum: type[Enum]) -> _Codec:
    """By value; a member is found by itself too (a StrEnum member equals its value)."""
    members: dict[Any, Any] = {m.value: m for m in enum}
    texts = {value: str(encode_basestring(value)) for value in members}
    expected = f"one of {', '.join(map(str, members))}"
    name = enum.__name__
    _NAMESPACE[f"members_{name}"], _NAMESPACE[f"texts_{name}"] = members, texts

    def load(v: Any) -> Any:
        m = members.get(v) if isinstance(v, str) else None
        _check(m is not None, expected)
        return m

    def dump(v: Any) -> str:
        return texts[load(v).value]

    return _Codec(expected, load, dump, f"members_{name}[v]", f"texts_{name}[v]")


def _nullable(inner: _Codec) -> _Codec:
    def load(v: Any) -> Any:
        return None if v is None else inner.load(v)

    def dump(v: Any) -> str:
        return "null" if v is None else inner.dump(v)

    return _Codec(
        f"{inner.expected} or null",
        load,
        dump,
        f"None if v is None else ({inner.load_src})",
        f'"null" if v is None else ({inner.dump_src})',
    )


def _codec(tp: Any) -> _Codec:
    if get_origin(tp) in (Union, UnionType):
        rest = [a for a in get_args(tp) if a is not NoneType]
        if len(rest) == 1 and len(get_args(tp)) == 2:
            return _nullable(_codec(rest[0]))
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _enum_codec(tp)
    if tp in _CODECS:
        return _CODECS[tp]
    raise TypeError(f"events: no JSON form for {tp!r}")


# -- each class's fields, its checked loops and its generated functions ---------------------


@dataclass(frozen=True, slots=True)
class _Field:
    name: str  # the attribute
    side: str  # "old" or "new"
    key: str  # the JSON key
    quoted: str  # '"key": ', written before the value
    codec: _Codec
    omit: bool
    default: Any


@dataclass(frozen=True, slots=True)
class _Spec:
    """A payload class's fields, split into its two objects, each in JSON key order.

    The checked loops say exactly what is wrong. Reading and writing go first through one
    flat function generated per class (as `dataclasses` generates `__init__`), several times
    faster than a loop over the fields: the seed encodes, and the metrics decode, hundreds of
    thousands of events at a time. Classes with omitted fields or a `__post_init__` (rare
    kinds) have none.
    """

    cls: type[Payload]
    old: tuple[_Field, ...]
    new: tuple[_Field, ...]

    @classmethod
    def of(cls, payload_cls: type[Payload]) -> _Spec:
        hints = get_type_hints(payload_cls)
        old: list[_Field] = []
        new: list[_Field] = []
        for f in fields(payload_cls):  # type: ignore[arg-type]
            side, key = ("old", f.name[4:]) if f.name.startswith("old_") else ("new", f.name)
            key = key.removesuffix("_")
            omit = bool(f.metadata.get(_OMIT))
            default = None if f.default is MISSING else f.default
            quoted = f"{encode_basestring(key)}: "
            made = _Field(f.name, side, key, quoted, _codec(hints[f.name]), omit, default)
            (old if side == "old" else new).append(made)
        return cls(payload_cls, _by_key(old), _by_key(new))

    @property
    def fields(self) -> tuple[_Field, ...]:
        return self.old + self.new

    @property
    def kind(self) -> str:
        return self.cls.KIND.value

    @property
    def generated(self) -> bool:
        plain = not any(f.omit for f in self.fields)
        return plain and not hasattr(self.cls, "__post_init__")

    def loader(self) -> Callable[[Any, Any], Payload]:
        return _compile(self, "load", _load_source(self)) if self.generated else self.checked_load

    def dumper(self) -> Callable[[Payload], tuple[str | None, str | None]]:
        return _compile(self, "dump", _dump_source(self)) if self.generated else self.checked_dump

    def around(self, name: str) -> Callable[[Payload], tuple[str | None, tuple[str, str]]]:
        """A writer of `new` cut around the int field `name` (made once, then kept)."""
        if not any(f.name == name and f.codec is _CODECS[int] for f in self.new):
            raise TypeError(f"events: {self.cls.__name__}.{name} is not an int field of new")
        if self.generated:
            made = _compile(self, "dump", _dump_source(self, hole=name))
        else:
            made = partial(self.checked_around, name=name)
        _AROUND[self.cls, name] = made
        return made  # type: ignore[no-any-return]

    # -- the checked loops ---------------------------------------------------------------

    def checked_load(self, old: Any, new: Any) -> Payload:
        values: dict[str, Any] = {}
        self._load_side("old", old, self.old, values)
        self._load_side("new", new, self.new, values)
        return self.cls(**values)

    def checked_dump(self, p: Payload) -> tuple[str | None, str | None]:
        return self._dump_side(p, self.old), self._dump_side(p, self.new)

    def checked_around(self, p: Payload, name: str) -> tuple[str | None, tuple[str, str]]:
        before, _, after = (self._dump_side(p, self.new, hole=name) or "").partition(_HOLE)
        return self._dump_side(p, self.old), (before, after)

    def _load_side(
        self, side: str, given: Any, specs: tuple[_Field, ...], out: dict[str, Any]
    ) -> None:
        if given is None:
            given = {}
        elif not isinstance(given, Mapping):
            raise MalformedEvent(f"event {self.kind}: {side}: expected an object")
        found = 0
        for f in specs:
            if f.key in given:
                found += 1
                try:
                    out[f.name] = f.codec.load(given[f.key])
                except _Wrong as wrong:
                    raise self._wrong(f, given[f.key], wrong) from None
            elif not f.omit:
                raise MalformedEvent(f"event {self.kind}: {side}.{f.key}: missing")
        if found != len(given):
            extra = sorted(set(given) - {f.key for f in specs}, key=str)
            raise MalformedEvent(f"event {self.kind}: {side}: unknown field {_shown(extra[0])}")

    def _dump_side(self, p: Payload, specs: tuple[_Field, ...], hole: str = "") -> str | None:
        if not specs:
            return None
        parts = []
        for f in specs:
            value = getattr(p, f.name)
            if f.omit and value == f.default:
                continue
            try:
                text = _HOLE if f.name == hole else f.codec.dump(value)
            except _Wrong as wrong:
                raise self._wrong(f, value, wrong) from None
            parts.append(f"{f.quoted}{text}")
        return f"{{{', '.join(parts)}}}"

    def _wrong(self, f: _Field, value: Any, wrong: _Wrong) -> MalformedEvent:
        where = f"event {self.kind}: {f.side}.{f.key}"
        return MalformedEvent(f"{where}: expected {wrong}, got {_shown(value)}")


_HOLE = "\0"  # where a value is left out; no JSON text holds a raw NUL (it is escaped)


def _by_key(specs: list[_Field]) -> tuple[_Field, ...]:
    return tuple(sorted(specs, key=lambda f: f.key))


def _compile(spec: _Spec, name: str, source: list[str]) -> Callable[..., Any]:
    setters = {f"set_{f.name}": getattr(spec.cls, f.name).__set__ for f in spec.fields}
    return _exec(source, {**_NAMESPACE, **setters, "C": spec.cls}, name)  # type: ignore[no-any-return]


def _load_source(spec: _Spec) -> list[str]:
    """`def load(old, new)`: both objects must have exactly the class's keys; the new
    instance's slots are set as its `__init__` would."""
    lines = ["def load(old, new):"]
    for side, specs in (("old", spec.old), ("new", spec.new)):
        lines.append(
            f"    if len({side}) != {len(specs)}: _bad()" if specs else f"    if {side}: _bad()"
        )
    lines.append("    o = _new(C)")
    for f in spec.fields:
        lines.append(f"    v = {f.side}[{f.key!r}]")
        lines.append(f"    set_{f.name}(o, {f.codec.load_src})")
    return [*lines, "    return o"]


def _dump_source(spec: _Spec, hole: str = "") -> list[str]:
    """`def dump(p)`: both objects' text; with a `hole`, `new` is two texts around it."""
    lines = ["def dump(p):"]
    for n, f in enumerate(spec.fields):
        lines += [f"    v = p.{f.name}", f"    t{n} = {f.codec.dump_src}"]
    value = {f.name: f"t{n}" for n, f in enumerate(spec.fields)}
    sides = []
    for specs in (spec.old, spec.new):
        texts = [_Concat()]
        texts[-1].literal("{")
        for n, f in enumerate(specs):
            texts[-1].literal(f"{', ' if n else ''}{f.quoted}")
            if f.name == hole:
                texts.append(_Concat())
            else:
                texts[-1].name(value[f.name])
        texts[-1].literal("}")
        exprs = [t.source() for t in texts]
        sides.append(
            "None" if not specs else exprs[0] if len(exprs) == 1 else f"({', '.join(exprs)})"
        )
    return [*lines, f"    return ({sides[0]}, {sides[1]})"]


class _Concat:
    """Source text of a string concatenation, adjacent literals merged."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pending = ""

    def literal(self, text: str) -> None:
        self.pending += text

    def name(self, name: str) -> None:
        if self.pending:
            self.parts.append(repr(self.pending))
            self.pending = ""
        self.parts.append(name)

    def source(self) -> str:
        parts = [*self.parts, repr(self.pending)] if self.pending else self.parts
        return " + ".join(parts) or "''"


def _shown(value: Any) -> str:
    """A value in an error message: its repr, cut short (a payload may hold long text)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


# Each class's fields and generated functions, made on first use.
_SPECS: dict[type[Payload], _Spec] = {}
_LOADS: dict[EventKind, Callable[[Any, Any], Payload]] = {}
_DUMPS: dict[type[Payload], Callable[[Payload], tuple[str | None, str | None]]] = {}
_AROUND: dict[tuple[type[Payload], str], Callable[[Payload], Any]] = {}
