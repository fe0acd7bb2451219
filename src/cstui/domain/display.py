"""Text from outside, made safe to put on a terminal.

A customer's message, a subject, a name, an address or an imported article may carry
terminal control: an escape sequence that writes the clipboard (OSC 52), retitles the
window, hides a hyperlink, clears the screen or makes the terminal type an answer into the
app (`ESC[6n`); a carriage return that draws over a line; a bidirectional override that
reorders what is read. `inert` shows each such character as a visible symbol instead, so
nothing in the text is ever interpreted:

- C0 controls (except tab and newline) as their Control Pictures: ESC as `␛`, BEL as `␇`,
  a lone CR as `␍` (CR LF is a line break and reads as one);
- DEL as `␡`; C1 controls (U+0080–U+009F, `\\x9b` is an 8-bit CSI), bidirectional
  controls and lone surrogates by their code point: `⟨U+202E⟩`.

Stored data is never changed: only what is drawn or printed goes through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Spans = tuple[tuple[int, int], ...]

# What is made visible, as (first, last) code point ranges.
_C0 = ((0x00, 0x08), (0x0B, 0x1F))  # tab and newline stay
_DEL_AND_C1 = ((0x7F, 0x9F),)
# Embeddings, overrides and isolates, and the marks (ALM, LRM, RLM): each can reorder a line.
_BIDI = ((0x061C, 0x061C), (0x200E, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069))
_SURROGATES = ((0xD800, 0xDFFF),)  # alone, they cannot even be written out
_RANGES = (*_C0, *_DEL_AND_C1, *_BIDI, *_SURROGATES)


def _shown(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ ␇ ␍ …
    if code == 0x7F:
        return "␡"
    return f"⟨U+{code:04X}⟩"


# One character class of the ranges: a clean string (nearly every one) is found clean by one
# scan in C and comes back as it is.
_UNSAFE = re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in _RANGES) + "]")


def _replace(found: re.Match[str]) -> str:
    return _shown(ord(found.group()))


def inert(text: str) -> str:
    """`text` with every terminal control shown, never interpreted; plain text unchanged.

    Idempotent: what it returns holds nothing it would change again.
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_replace, text.replace("\r\n", "\n"))


def inert_spans(text: str, spans: Iterable[tuple[int, int]]) -> tuple[str, Spans]:
    """`inert(text)` with (start, end) character spans into `text` (a search's matched
    words) moved to where the same characters are in what it returns."""
    spans = tuple(spans)
    if _UNSAFE.search(text) is None:
        return text, spans
    pieces: list[str] = []
    moved: list[tuple[int, int]] = []
    at = length = 0
    for start, end in spans:
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        before, inside = inert(text[at:start]), inert(text[start:end])
        pieces += [before, inside]
        length += len(before)
        moved.append((length, length + len(inside)))
        length += len(inside)
        at = end
    pieces.append(inert(text[at:]))
    return "".join(pieces), tuple(moved)
