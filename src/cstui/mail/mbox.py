"""Messages from an mbox, or a single message, as raw bytes.

An MTA pipes one message (sometimes with its "From " envelope line first), an export is an
mbox: input that starts with "From " is split on the "From " lines that follow a blank line
(or open the file), and mboxrd's ">From " escapes are undone; anything else is one message.
A line splitter rather than `mailbox.mbox`: it reads a stream once, never seeks, and keeps
up with thousands of messages a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

_ESCAPED = re.compile(rb"^>(>*From )")


def _is_blank(line: bytes) -> bool:
    return line in (b"\n", b"\r\n")


def _message(lines: list[bytes]) -> bytes:
    # The blank line before the next "From " belongs to the mbox, not to the message.
    if lines and _is_blank(lines[-1]):
        lines = lines[:-1]
    return b"".join(_ESCAPED.sub(rb"\1", line) if line[:1] == b">" else line for line in lines)


def _split(rest: Iterable[bytes]) -> Iterator[bytes]:
    lines: list[bytes] = []
    previous_blank = True
    for line in rest:
        if line[:5] == b"From " and previous_blank:
            yield _message(lines)
            lines = []
            previous_blank = False
            continue
        lines.append(line)
        previous_blank = _is_blank(line)
    yield _message(lines)


def iter_messages(stream: BinaryIO | bytes) -> Iterator[bytes]:
    """Each message's raw bytes, in order. Empty input gives nothing."""
    lines: Iterator[bytes] = (
        iter(stream.splitlines(keepends=True)) if isinstance(stream, bytes) else iter(stream)
    )
    first = next(lines, b"")
    if not first:
        return
    if first[:5] != b"From ":
        yield first + b"".join(lines)
        return
    for raw in _split(lines):
        if raw.strip():
            yield raw
