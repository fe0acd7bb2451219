"""What the store can hold, checked where input arrives: valid text and 32-bit integers.

Text must be valid Unicode. A lone surrogate has no UTF-8 form, so no database stores it and
no terminal shows it; it arrives as a JSON `"\\ud800"` escape, or from a command line or
environment that was not UTF-8 (Python decodes each such byte to U+DC80–U+DCFF).
Integers must fit the store's integer columns (32 bits on PostgreSQL), ids from 1 up.
"""

from __future__ import annotations

import re

from cstui.errors import BadInput

INT_MIN, INT_MAX = -(2**31), 2**31 - 1

_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` is not valid text (naming the first bad character), or None."""
    found = _SURROGATE.search(value)
    if found is None:
        return None
    code, at = ord(found.group()), found.start() + 1
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as Python keeps it
        return f"not UTF-8 text (byte 0x{code - 0xDC00:02x} at character {at})"
    return f"not valid Unicode (lone surrogate U+{code:04X} at character {at})"


def require_text(value: str, field: str) -> str:
    """`value`, or BadInput naming `field` when it is not valid text."""
    problem = text_problem(value)
    if problem is not None:
        raise BadInput(f"{field}: {problem}")
    return value


def int_problem(value: int, low: int = INT_MIN, high: int = INT_MAX) -> str | None:
    """Why `value` cannot be stored as an integer between `low` and `high`, or None."""
    if low <= value <= high:
        return None
    return f"{value} is out of range ({low} to {high})"
