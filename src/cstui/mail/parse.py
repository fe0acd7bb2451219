"""Raw RFC 5322 bytes -> `Inbound`: one customer's mail as the store threads it.

Pure: no store, no network, no clock unless one is given. Any bytes parse: a mail the
parser cannot make sense of still gives an `Inbound` (whatever text could be read, a
synthetic Message-ID), never an exception, so one broken mail never blocks a mailbox.

The stdlib parser runs with `compat32`: it is several times faster than `policy.default`
and keeps the raw bytes of 8-bit headers (Chinese clients write GBK straight into Subject
and file names), which `charset.decode_header` then reads with the GB18030-first rules.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from io import BytesIO

from cstui.domain.channels import AutoKind, Inbound, NewAttachment
from cstui.domain.model import Channel
from cstui.mail import auto, subject
from cstui.mail.charset import decode_header, decode_text, unescape_header
from cstui.mail.files import detect_type, extension_for, safe_filename
from cstui.mail.html import html_to_text
from cstui.mail.quote import trim

DEFAULT_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # as ChannelSettings.attachment_max_bytes
MAX_ID_CHARS = 250  # the store keeps external ids in 255 characters
MAX_REFERENCES = 50
_MAX_DEPTH = 16  # nested multiparts deeper than this are not followed
_FUTURE_SLACK = timedelta(days=1)
_SKIPPED = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-keys",
    }
)
_PARSER = BytesParser(policy=policy.compat32)
_HEADERS_ONLY = BytesHeaderParser(policy=policy.compat32)
MAX_CONTAINERS = 200  # multipart and message parts in one mail; real ones have a handful
# A Content-Type naming a container, folded or not (\s spans the fold).
_CONTAINER = re.compile(rb"^content-type:\s*(?:multipart|message)/", re.I | re.M)
_FLAT_TEXT_CHARS = 1_000_000
_BREAKS = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]+")


@dataclass
class _Parts:
    texts: list[str] = field(default_factory=list)
    plain: bool = False  # the texts came from text/plain (preferred in an alternative)
    extra: list[str] = field(default_factory=list)  # kept in full_text only (DSN status)
    files: list[Message] = field(default_factory=list)

    def add(self, other: _Parts) -> None:
        self.texts += other.texts
        self.plain = self.plain or other.plain
        self.extra += other.extra
        self.files += other.files


def _raw(message: Message, name: str) -> str | None:
    """A header's value as it came (8-bit bytes as surrogates), or None."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def _header(message: Message, name: str) -> str:
    return decode_header(_raw(message, name))


def _param(part: Message, param: str, header: str) -> str | None:
    """A header parameter decoded: RFC 2231 (any charset), encoded-words, raw 8-bit."""
    raw = _raw(part, header)
    if raw is None:
        return None
    probe = Message()
    probe[header] = decode_text(unescape_header(raw)) if not raw.isascii() else raw
    value = probe.get_param(param, header=header)
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        return decode_text(text.encode("latin-1", errors="replace"), charset or None)
    return decode_header(str(value))


def _disposition(part: Message) -> str:
    raw = _raw(part, "content-disposition") or ""
    return raw.split(";", 1)[0].strip().lower()


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    return b""


def _text_of(part: Message) -> tuple[str, bool]:
    text = decode_text(_payload(part), part.get_content_charset()).replace("\r\n", "\n")
    if part.get_content_type() == "text/html":
        return html_to_text(text), False
    return text, True


def _is_file(part: Message) -> bool:
    if part.get_content_type() not in ("text/plain", "text/html"):
        return True
    return (
        _disposition(part) == "attachment"
        or (_param(part, "filename", "content-disposition") or _param(part, "name", "content-type"))
        is not None
    )


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return (
        [child for child in payload if isinstance(child, Message)]
        if isinstance(payload, list)
        else []
    )


def _has_text(parts: _Parts) -> bool:
    return any(text.strip() for text in parts.texts)


def _alternative(children: list[Message], depth: int) -> _Parts:
    found = [_collect(child, depth + 1) for child in children]
    # The plain version, unless it is empty (some clients send an empty one beside the HTML).
    chosen = next((p for p in found if p.plain and _has_text(p)), None)
    chosen = chosen or next((p for p in reversed(found) if _has_text(p)), _Parts())
    result = _Parts(texts=chosen.texts, plain=chosen.plain, extra=chosen.extra)
    for parts in found:  # inline images sit beside the HTML version: keep them all
        result.files += parts.files
    return result


def _report(children: list[Message], depth: int) -> _Parts:
    result = _collect(children[0], depth + 1) if children else _Parts()
    for child in children[1:]:
        if child.get_content_type() == "message/delivery-status":
            result.extra.append(_delivery_status(child))
    return result


def _delivery_status(part: Message) -> str:
    inner = _children(part)
    if inner:  # the parser reads the status groups as header blocks
        return "\n\n".join(
            "\n".join(f"{key}: {decode_header(str(value))}" for key, value in block.raw_items())
            for block in inner
        )
    return decode_text(_payload(part)).replace("\r\n", "\n")


def _collect(part: Message, depth: int = 0) -> _Parts:
    ctype = part.get_content_type()
    if ctype.startswith("message/"):
        return _Parts(files=[part]) if ctype == "message/rfc822" else _Parts()
    if part.is_multipart():
        if depth >= _MAX_DEPTH:
            return _Parts()
        children = _children(part)
        if ctype == "multipart/alternative":
            return _alternative(children, depth)
        if ctype == "multipart/report":
            return _report(children, depth)
        result = _Parts()
        for child in children:
            result.add(_collect(child, depth + 1))
        return result
    if ctype in _SKIPPED:
        return _Parts()
    if _is_file(part):
        return _Parts(files=[part])
    text, plain = _text_of(part)
    return _Parts(texts=[text], plain=plain)


def _file_bytes(part: Message) -> bytes:
    if part.get_content_type() != "message/rfc822":
        return _payload(part)
    out = BytesIO()
    for inner in _children(part):
        BytesGenerator(out, mangle_from_=False, policy=policy.compat32).flatten(inner)
    return out.getvalue()


def _attachment(part: Message, number: int, data: bytes) -> NewAttachment:
    declared = part.get_content_type()
    content_type = "message/rfc822" if declared == "message/rfc822" else detect_type(data, declared)
    if len(content_type) > 100:  # a declared text type of any length: the store keeps 128
        content_type = "text/plain"
    stem = "image" if content_type.startswith("image/") else "attachment"
    name = _param(part, "filename", "content-disposition") or _param(part, "name", "content-type")
    filename = safe_filename(name, f"{stem}-{number}{extension_for(content_type)}")
    inline = _disposition(part) == "inline" or (
        not _disposition(part) and _raw(part, "content-id") is not None
    )
    return NewAttachment(filename=filename, content_type=content_type, data=data, inline=inline)


def _attachments(
    files: list[Message], max_bytes: int
) -> tuple[tuple[NewAttachment, ...], list[str]]:
    kept: list[NewAttachment] = []
    notes: list[str] = []
    for number, part in enumerate(files, start=1):
        data = _file_bytes(part)
        attachment = _attachment(part, number, data)
        if len(data) > max_bytes:
            notes.append(
                f"[attachment not kept: {attachment.filename}, {len(data)} bytes "
                f"over the limit of {max_bytes} bytes]"
            )
            continue
        kept.append(attachment)
    return tuple(kept), notes


def _message_id(message: Message, raw: bytes) -> str:
    value = _header(message, "message-id").strip()
    found = auto.MESSAGE_ID.search(value)
    if found is not None and len(found.group()) <= MAX_ID_CHARS:
        return found.group()
    if found is None and value and "@" in value and " " not in value and len(value) < MAX_ID_CHARS:
        return f"<{value.strip('<>')}>"  # brackets forgotten by some clients
    # None, or unusable: the same bytes always get the same id, so a redelivery is a duplicate.
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@cstui.invalid>"


def _references(message: Message) -> tuple[str, ...]:
    ids: list[str] = []
    for name in ("in-reply-to", "references"):
        for found in auto.MESSAGE_ID.findall(_header(message, name)):
            if found not in ids and len(found) <= MAX_ID_CHARS:
                ids.append(found)
    if len(ids) > MAX_REFERENCES:  # keep the parent, the thread's root and the latest
        ids = ids[:2] + ids[-(MAX_REFERENCES - 2) :]
    return tuple(ids)


def _clean_address(address: str) -> str:
    return (
        "".join(ch for ch in address if ch.isprintable() and not ch.isspace()).strip("<>").lower()
    )


def _one_line(text: str) -> str:
    # A subject or a name is one line: an encoded-word can still carry CR, LF or a tab.
    return _BREAKS.sub(" ", text).strip()


def _sender(message: Message) -> tuple[str, str]:
    for name in ("from", "sender", "reply-to", "return-path"):
        raw = _raw(message, name)
        if not raw:
            continue
        for display, address in getaddresses([raw.replace("\r", " ").replace("\n", " ")]):
            cleaned = _clean_address(decode_header(address))
            if "@" in cleaned:
                return cleaned, _one_line(decode_header(display))
    return "", ""


def _received(message: Message, now: datetime | None) -> datetime:
    fallback = now if now is not None else datetime.now(UTC)
    value = _header(message, "date").strip()
    if not value:
        return fallback
    try:
        when = parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError, OverflowError):
        return fallback
    if when.tzinfo is None:  # "-0000": the time is UTC, its zone unknown
        when = when.replace(tzinfo=UTC)
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        return fallback
    # A clock years ahead would put the message above everything; a day covers skew.
    return fallback if now is not None and when > now + _FUTURE_SLACK else when


@dataclass(frozen=True)
class _Content:
    text: str
    full_text: str
    attachments: tuple[NewAttachment, ...]
    bounced_id: str | None


def _content(message: Message, kind: AutoKind, max_bytes: int) -> _Content:
    parts = _collect(message)
    body = "\n\n".join(text.strip("\n") for text in parts.texts if text.strip())
    attachments, notes = _attachments(parts.files, max_bytes)
    full_text = "\n\n".join([body, *parts.extra, *notes]).strip()
    text = "\n\n".join([trim(body), *notes]).strip()
    bounced = auto.bounced_id(message, full_text) if kind is AutoKind.BOUNCE else None
    return _Content(text, full_text, attachments, bounced)


def _flat_content(raw: bytes, kind: AutoKind) -> _Content:
    """A mail nested thousands of parts deep (the stdlib parser and generator recurse): its
    headers as usual, its body as one text, no attachments."""
    message = _HEADERS_ONLY.parsebytes(raw)
    payload = message.get_payload()
    body = decode_text(unescape_header(payload if isinstance(payload, str) else ""))
    body = body[:_FLAT_TEXT_CHARS]
    note = "[the message's parts are nested too deep to read: shown as it came]"
    full_text = f"{body.replace(chr(13) + chr(10), chr(10)).strip()}\n\n{note}".strip()
    bounced = auto.bounced_id(message, full_text) if kind is AutoKind.BOUNCE else None
    return _Content(full_text, full_text, (), bounced)


def _too_nested(raw: bytes) -> bool:
    """Whether `raw` declares more multipart or message parts than any real mail: the stdlib
    parser takes time quadratic in their nesting (a 1 MB mail nested 30,000 deep takes
    20 s) and recurses once a level."""
    for count, _found in enumerate(_CONTAINER.finditer(raw), start=1):
        if count > MAX_CONTAINERS:
            return True
    return False


def _structure(raw: bytes) -> Message | None:
    """The parsed mail, or None when its structure is too deep to read."""
    if _too_nested(raw):
        return None
    try:
        return _PARSER.parsebytes(raw)
    except RecursionError:
        return None


def _safe_content(message: Message, raw: bytes, kind: AutoKind, max_bytes: int) -> _Content:
    try:
        return _content(message, kind, max_bytes)
    except RecursionError:  # flattening a forwarded message recurses once a level too
        return _flat_content(raw, kind)


def parse_message(
    raw: bytes,
    *,
    tag_prefix: str = "#",
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    now: datetime | None = None,
) -> Inbound:
    """One raw mail as an `Inbound`. `now` is when it arrived: the fallback for a missing or
    unreadable Date, and the bound for a Date in the future."""
    parsed = _structure(raw)
    message = parsed if parsed is not None else _HEADERS_ONLY.parsebytes(raw)
    address, name = _sender(message)
    title = _one_line(_header(message, "subject"))
    kind = auto.auto_kind(message, address)
    if parsed is None:
        content = _flat_content(raw, kind)
    else:
        content = _safe_content(parsed, raw, kind, max_attachment_bytes)
    return Inbound(
        channel=Channel.EMAIL,
        external_id=_message_id(message, raw),
        sender_address=address,
        sender_name=name,
        subject=title,
        text=content.text,
        full_text=content.full_text,
        received_at=_received(message, now),
        references=_references(message),
        ticket_tag=subject.ticket_tag(title, tag_prefix),
        auto=kind,
        bounced_id=content.bounced_id,
        attachments=content.attachments,
    )
