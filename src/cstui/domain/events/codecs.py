"""How each field type is read from parsed JSON and written as JSON text."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

# -- how each type is read and written ------------------------------------------------------
#
# Each type has a checked reader and writer, which say what is wrong, and the same two as
# source text (expressions on a value `v`) for the generated functions; those may raise
# anything on a wrong value.


class Wrong(Exception):
    """A value that does not fit its field; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Codec:
    expected: str
    load: Callable[[Any], Any]  # parsed JSON -> the field's value
    dump: Callable[[Any], str]  # the field's value -> JSON text
    load_src: str
    dump_src: str


def _bad() -> Any:
    raise Wrong("")


def _check(ok: bool, expected: str) -> None:
    if not ok:
        raise Wrong(expected)


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
        raise Wrong("an ISO 8601 time") from None
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
NAMESPACE: dict[str, Any] = {
    "_bad": _bad,
    "_esc": encode_basestring,
    "_new": object.__new__,
    **{f.__name__: f for f in (_load_float, _dump_float, _load_datetime, _dump_datetime)},
    **{f.__name__: f for f in (_load_strings, _dump_strings)},
}

CODECS: dict[Any, Codec] = {
    str: Codec("a string", _load_str, _dump_str, "v if type(v) is str else _bad()", "_esc(v)"),
    int: Codec(
        "an integer",
        _load_int,
        _dump_int,
        "v if type(v) is int else _bad()",
        "repr(v) if type(v) is int else _bad()",
    ),
    float: Codec("a finite number", _load_float, _dump_float, "_load_float(v)", "_dump_float(v)"),
    bool: Codec(
        "true or false",
        _load_bool,
        _dump_bool,
        "v if v is True or v is False else _bad()",
        '"true" if v is True else "false" if v is False else _bad()',
    ),
    datetime: Codec(
        "an ISO 8601 time", _load_datetime, _dump_datetime, "_load_datetime(v)", "_dump_datetime(v)"
    ),
    tuple[str, ...]: Codec(
        "a list of strings", _load_strings, _dump_strings, "_load_strings(v)", "_dump_strings(v)"
    ),
}


def _enum_codec(enum: type[Enum]) -> Codec:
    """By value; a member is found by itself too (a StrEnum member equals its value)."""
    members: dict[Any, Any] = {m.value: m for m in enum}
    texts = {value: str(encode_basestring(value)) for value in members}
    expected = f"one of {', '.join(map(str, members))}"
    name = enum.__name__
    NAMESPACE[f"members_{name}"], NAMESPACE[f"texts_{name}"] = members, texts

    def load(v: Any) -> Any:
        m = members.get(v) if isinstance(v, str) else None
        _check(m is not None, expected)
        return m

    def dump(v: Any) -> str:
        return texts[load(v).value]

    return Codec(expected, load, dump, f"members_{name}[v]", f"texts_{name}[v]")


def _nullable(inner: Codec) -> Codec:
    def load(v: Any) -> Any:
        return None if v is None else inner.load(v)

    def dump(v: Any) -> str:
        return "null" if v is None else inner.dump(v)

    return Codec(
        f"{inner.expected} or null",
        load,
        dump,
        f"None if v is None else ({inner.load_src})",
        f'"null" if v is None else ({inner.dump_src})',
    )


def codec_for(tp: Any) -> Codec:
    if get_origin(tp) in (Union, UnionType):
        rest = [a for a in get_args(tp) if a is not NoneType]
        if len(rest) == 1 and len(get_args(tp)) == 2:
            return _nullable(codec_for(rest[0]))
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _enum_codec(tp)
    if tp in CODECS:
        return CODECS[tp]
    raise TypeError(f"events: no JSON form for {tp!r}")
