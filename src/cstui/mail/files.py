"""Attachment names made safe and types read from the bytes.

A file name comes from the customer: "../../etc/passwd", "C:\\boot.ini", a name with ESC
or a right-to-left override ("invoice‮fdp.exe" shows as "invoiceexe.pdf"), "..", a name of
a thousand characters. What is kept is a plain base name that cannot leave a directory,
hide its extension or break a terminal; the type is what the bytes are (`filetype`, MIT),
never what the sender declared, except for text, which has no signature to detect.
"""

from __future__ import annotations

import os.path
import re
import unicodedata

import filetype

MAX_NAME_CHARS = 150
MAX_NAME_BYTES = 240  # UTF-8: most file systems allow 255 bytes; 150 CJK characters are 450
_MAX_EXT = 16
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")
# Device names Windows will not let a file carry, whatever its extension.
_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)(?:\.|$)", re.IGNORECASE)
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/csv": ".csv",
    "text/calendar": ".ics",
    "message/rfc822": ".eml",
    "application/octet-stream": ".bin",
}


def _visible(name: str) -> str:
    # Cc: controls, Cf: format characters (bidi overrides, zero-width), Cs/Co/Cn: no glyph.
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch
        for ch in name
    )


def _shorten(name: str) -> str:
    stem, ext = os.path.splitext(name)
    if len(ext) > _MAX_EXT or not ext.isprintable():
        stem, ext = name, ""
    stem = stem[: MAX_NAME_CHARS - len(ext)]
    budget = MAX_NAME_BYTES - len(ext.encode())
    while len(stem.encode()) > budget:  # at most 150 rounds: the stem is short already
        stem = stem[:-1]
    stem = stem.rstrip(". ")
    return stem + ext if stem else ext.lstrip(".")


def safe_filename(name: str | None, fallback: str) -> str:
    """A base name safe to show and to save under: no directories, no control or bidi
    characters, no leading dots, at most 150 characters keeping the extension; `fallback`
    (itself assumed safe) when nothing is left."""
    text = unicodedata.normalize("NFC", _visible(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _SPACES.sub(" ", _UNSAFE.sub("_", text)).strip().lstrip(". ").rstrip(". ")
    if not text or not text.strip("._ "):
        return fallback
    if _RESERVED.match(text):
        text = "_" + text
    shortened = _shorten(text)
    return shortened if shortened and shortened.strip("._ ") else fallback


def detect_type(data: bytes, declared: str) -> str:
    """The content type of `data` read from its bytes; the declared one only for text."""
    try:
        kind = filetype.guess(data)
    except (TypeError, ValueError):  # filetype reads headers by offsets; be sure
        kind = None
    if kind is not None:
        return str(kind.mime)
    declared = declared.lower()
    if declared.startswith("text/") and b"\x00" not in data[:8192]:
        return declared
    return "application/octet-stream"


def extension_for(content_type: str) -> str:
    """A file extension for a detected type ("" when there is no common one)."""
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    kind = filetype.get_type(mime=content_type)
    return f".{kind.extension}" if kind is not None else ""
