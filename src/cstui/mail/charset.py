"""Bytes from a mail turned into text, whatever charset the sender's client claimed.

Chinese mail is often labelled with a smaller charset than its bytes use (GB2312 for GBK
text with 镕 or 喆 in it), sometimes with a wrong one (UTF-8 bytes declared ISO-8859-1) and
sometimes with none at all. So:

- GB2312 / GBK / CP936 / EUC-CN decode as GB18030 (a superset of each), Big5 as Big5-HKSCS;
- a declared charset that fails on the bytes, or none, falls back to UTF-8, then (unless
  only a few bytes were broken under a right label) GB18030, then charset-normalizer's
  guess when it is installed;
- a Latin label that UTF-8 also reads is taken as UTF-8 (UTF-8 validates itself: Latin text
  almost never passes as UTF-8 by chance);
- nothing raises: what still does not decode becomes U+FFFD.

Encoded-words (RFC 2047, `=?GBK?B?...?=`) are decoded here too, joining adjacent words of
one charset before decoding them, because clients split a multi-byte character across two.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

try:  # optional: a better guess for undeclared text that is neither UTF-8 nor GB18030
    import charset_normalizer
except ImportError:  # pragma: no cover - installed with the project
    charset_normalizer = None  # type: ignore[assignment]

_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "euc_cn": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "big5hkscs": "big5hkscs",
    "ascii": "ascii",
}
_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "undefined", "unicode_escape", "raw_unicode_escape", "charmap"}
)
_LATIN = frozenset({"latin_1", "iso8859_1", "cp1252", "iso8859_15", "ascii"})
# Names clients use that Python's codec registry does not know.
_ALIASES = {
    "x-gbk": "gbk",
    "gb_2312-80": "gb2312",
    "x-euc-cn": "gb2312",
    "x-big5": "big5",
    "big5-hkscs": "big5hkscs",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
}


def codec_for(declared: str | None) -> str | None:
    """The Python codec to decode text labelled `declared` with, or None when it is unknown."""
    if not declared:
        return None
    label = declared.strip().strip('"').lower().split("*", 1)[0]
    label = _ALIASES.get(label, label)
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    name = info.name.replace("-", "_")
    # "base64", "zlib", "rot13" … are codecs too; "idna" refuses errors="replace".
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_CHARSETS:
        return None
    return _SUPERSETS.get(name, name)


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _guess(data: bytes) -> str | None:
    if charset_normalizer is None:
        return None
    best = charset_normalizer.from_bytes(data[:65536]).best()
    if best is None or best.encoding is None:
        return None
    return codec_for(best.encoding)


def _mostly(data: bytes, codec: str) -> str | None:
    """`data` in `codec` when only a few bytes are broken (a truncated character, a bad
    relay): the label is right, and a guess would garble the rest."""
    try:
        text = data.decode(codec, errors="replace")
    except LookupError:
        return None
    return text if text.count("\ufffd") * 50 <= len(text) else None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """`data` as text, by its declared charset when that fits, never raising. NUL comes
    back as U+FFFD: no text column (PostgreSQL's least of all) can hold it."""
    return _decode(data, declared).replace("\x00", "\ufffd")


def _decode(data: bytes, declared: str | None) -> str:
    if data.isascii():
        return data.decode("ascii")
    codec = codec_for(declared)
    if codec == "ascii":  # 8-bit bytes under an ASCII label: the label says nothing
        codec = None
    if codec is not None and codec not in _LATIN:
        text = _try(data, codec)
        if text is not None:
            return text
    text = _try(data, "utf-8")
    if text is not None:
        return text
    if codec in _LATIN:
        return data.decode(codec, errors="replace")
    text = _mostly(data, codec) if codec is not None else None
    if text is None and codec != "gb18030":
        text = _try(data, "gb18030")
    if text is None:
        guessed = _guess(data)
        text = _try(data, guessed) if guessed is not None else None
    return text if text is not None else data.decode(codec or "gb18030", errors="replace")


def unescape_header(value: str) -> bytes:
    """A header value as the bytes it came in (the parser keeps 8-bit bytes as surrogates;
    text already decoded goes back as UTF-8, which `decode_text` then reads first)."""
    try:
        return value.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # a surrogate no byte stands behind
        return value.encode("utf-8", errors="replace")


# RFC 2047 words; lenient: some clients put them inside quoted strings or glue text to them.
_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]")


def _word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "Bb":
        return b64_lenient(payload)
    return quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)


def b64_lenient(payload: str) -> bytes:
    """Base64 as clients write it: padding often missing, stray characters now and then."""
    try:
        return base64.b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        clean = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        # Whole groups of four alphabet characters always decode.
        return base64.b64decode(clean[: len(clean) // 4 * 4])


def _plain(raw: str) -> str:
    return decode_text(unescape_header(raw))


def decode_header(value: str | None) -> str:
    """A header's text: folded lines joined, encoded-words decoded, raw 8-bit bytes read."""
    if not value:
        return ""
    value = _FOLD.sub(" ", str(value)).replace("\r", "").replace("\n", " ")
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_text(b"".join(pending), pending_charset))
        pending, pending_charset = [], None

    for found in _WORD.finditer(value):
        between = value[pos : found.start()]
        # White space between two encoded-words is not part of the text (RFC 2047 §6.2).
        if between and not (pending and between.isspace()):
            flush()
            out.append(_plain(between))
        charset = found.group(1)
        if pending and codec_for(charset) != codec_for(pending_charset):
            flush()
        pending_charset = charset
        pending.append(_word_bytes(found.group(2), found.group(3)))
        pos = found.end()
    flush()
    out.append(_plain(value[pos:]))
    return "".join(out)
