"""Each payload class's fields, its checked loops and its generated functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from functools import partial
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, get_type_hints

from cstui.domain.events.base import OMITTED, PAYLOADS, MalformedEvent, Payload, run_source
from cstui.domain.events.codecs import CODECS, NAMESPACE, Codec, Wrong, codec_for
from cstui.domain.model import EventKind


@dataclass(frozen=True, slots=True)
class _Field:
    name: str  # the attribute
    side: str  # "old" or "new"
    key: str  # the JSON key
    quoted: str  # '"key": ', written before the value
    codec: Codec
    omit: bool
    default: Any


@dataclass(frozen=True, slots=True)
class Spec:
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
    def of(cls, payload_cls: type[Payload]) -> Spec:
        hints = get_type_hints(payload_cls)
        old: list[_Field] = []
        new: list[_Field] = []
        for f in fields(payload_cls):  # type: ignore[arg-type]
            side, key = ("old", f.name[4:]) if f.name.startswith("old_") else ("new", f.name)
            key = key.removesuffix("_")
            omit = bool(f.metadata.get(OMITTED))
            default = None if f.default is MISSING else f.default
            quoted = f"{encode_basestring(key)}: "
            made = _Field(f.name, side, key, quoted, codec_for(hints[f.name]), omit, default)
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
        if not any(f.name == name and f.codec is CODECS[int] for f in self.new):
            raise TypeError(f"events: {self.cls.__name__}.{name} is not an int field of new")
        if self.generated:
            made = _compile(self, "dump", _dump_source(self, hole=name))
        else:
            made = partial(self.checked_around, name=name)
        AROUND[self.cls, name] = made
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
                except Wrong as wrong:
                    raise self._wrong(f, given[f.key], wrong) from None
            elif not f.omit:
                raise MalformedEvent(f"event {self.kind}: {side}.{f.key}: missing")
        if found != len(given):
            extra = sorted(set(given) - {f.key for f in specs}, key=str)
            raise MalformedEvent(f"event {self.kind}: {side}: unknown field {shown(extra[0])}")

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
            except Wrong as wrong:
                raise self._wrong(f, value, wrong) from None
            parts.append(f"{f.quoted}{text}")
        return f"{{{', '.join(parts)}}}"

    def _wrong(self, f: _Field, value: Any, wrong: Wrong) -> MalformedEvent:
        where = f"event {self.kind}: {f.side}.{f.key}"
        return MalformedEvent(f"{where}: expected {wrong}, got {shown(value)}")


_HOLE = "\0"  # where a value is left out; no JSON text holds a raw NUL (it is escaped)


def _by_key(specs: list[_Field]) -> tuple[_Field, ...]:
    return tuple(sorted(specs, key=lambda f: f.key))


def _compile(spec: Spec, name: str, source: list[str]) -> Callable[..., Any]:
    setters = {f"set_{f.name}": getattr(spec.cls, f.name).__set__ for f in spec.fields}
    return run_source(source, {**NAMESPACE, **setters, "C": spec.cls}, name)  # type: ignore[no-any-return]


def _load_source(spec: Spec) -> list[str]:
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


def _dump_source(spec: Spec, hole: str = "") -> list[str]:
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


def shown(value: Any) -> str:
    """A value in an error message: its repr, cut short (a payload may hold long text)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


# Each class's fields and generated functions, made on first use.
_SPECS: dict[type[Payload], Spec] = {}
LOADS: dict[EventKind, Callable[[Any, Any], Payload]] = {}
DUMPS: dict[type[Payload], Callable[[Payload], tuple[str | None, str | None]]] = {}
AROUND: dict[tuple[type[Payload], str], Callable[[Payload], Any]] = {}


def spec_for_kind(kind: Any) -> Spec:
    try:
        return spec_for_class(PAYLOADS[EventKind(kind)])
    except (ValueError, KeyError):
        raise MalformedEvent(f"event: unknown kind {shown(kind)}") from None


def spec_of(p: Payload) -> Spec:
    if PAYLOADS.get(getattr(type(p), "KIND", None)) is not type(p):  # type: ignore[arg-type]
        raise TypeError(f"not an event payload: {type(p).__name__}")
    return spec_for_class(type(p))


def spec_for_class(cls: type[Payload]) -> Spec:
    """A class's fields, worked out on first use: not at import, which every command pays."""
    spec = _SPECS.get(cls)
    if spec is None:
        spec = _SPECS[cls] = Spec.of(cls)
    return spec
