"""Files an agent or a platform sends with a message: a safe name and the type of the bytes.

A name from outside is never a path: only its last component is kept, without control,
direction or reserved characters, so it can be shown, put in a header and saved anywhere.
The type is read from the content's first bytes (what a name claims is not trusted), and
anything not recognised is `application/octet-stream`.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata

from cstui.domain.channels import NewAttachment
from cstui.errors import BadInput

MAX_NAME_CHARS = 120
DEFAULT_NAME = "attachment"
# Windows' reserved names: a file called `CON.txt` cannot be saved there.
RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$")
UNSAFE = re.compile(r'[<>:"/\\|?*]')

# (offset, magic bytes, type): the formats customers send (photos, receipts, documents).
MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # old Office
    (4, b"ftypheic", "image/heic"),
    (4, b"ftypheix", "image/heic"),
    (4, b"ftypmif1", "image/heif"),
    (4, b"ftypisom", "video/mp4"),
    (4, b"ftypmp42", "video/mp4"),
    (4, b"ftypqt  ", "video/quicktime"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"#!AMR", "audio/amr"),
)


def detect_type(data: bytes) -> str:
    """The MIME type of `data` from its first bytes: a known format, UTF-8 text, or bytes."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for offset, magic, kind in MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return kind
    head = data[:4096]
    if b"\x00" not in head and _utf8_prefix(head):
        return "text/plain"
    return "application/octet-stream"


def _utf8_prefix(head: bytes) -> bool:
    """UTF-8 text, allowing a character cut at the end of the sample."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def safe_filename(name: str) -> str:
    """`name` as a plain file name: its last path component, only printable characters,
    none that a file system reserves, at most `MAX_NAME_CHARS`; never empty or hidden."""
    last = re.split(r"[/\\]", name)[-1]
    kept = "".join(
        "_" if UNSAFE.match(c) else c
        for c in unicodedata.normalize("NFC", last)
        if c.isprintable() and unicodedata.category(c) not in ("Cf", "Cs", "Co")
    )
    kept = kept.strip(" .")
    if RESERVED.match(kept):
        kept = "_" + kept
    if len(kept) > MAX_NAME_CHARS:
        _stem, dot, ext = kept.rpartition(".")
        keep_ext = dot and 0 < len(ext) <= 10
        kept = kept[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext if keep_ext else kept
        kept = kept[:MAX_NAME_CHARS]
    return kept or DEFAULT_NAME


def new_attachment(name: str, data: bytes, *, max_bytes: int) -> NewAttachment:
    """A file to store with a message; BadInput (one line) when it is empty or too big."""
    safe = safe_filename(name)
    if not data:
        raise BadInput(f"attachment {safe}: the file is empty")
    if len(data) > max_bytes:
        raise BadInput(
            f"attachment {safe}: {human_size(len(data))} is over the limit of "
            f"{human_size(max_bytes)}"
        )
    return NewAttachment(filename=safe, content_type=detect_type(data), data=data)


def human_size(size: int) -> str:
    """1023 B, 1.5 KB, 20.0 MB: a size as a list shows it."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def decode_attachment(name: str, content_base64: str) -> NewAttachment:
    """A file as a JSON body carries it (standard base64): BadInput when it is not base64
    or empty. The name is made safe and the type read from the bytes; the size limit is the
    caller's (or the store's) to apply."""
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"attachment {safe_filename(name)}: not standard base64") from None
    if not data:
        raise BadInput(f"attachment {safe_filename(name)}: the file is empty")
    return NewAttachment(filename=safe_filename(name), content_type=detect_type(data), data=data)


def encode_attachment(attachment: NewAttachment) -> dict[str, str]:
    """The JSON a body carries for a file (what `decode_attachment` reads)."""
    return {
        "name": attachment.filename,
        "content_base64": base64.b64encode(attachment.data).decode("ascii"),
    }
