"""The demo world's mail: the Message-IDs of customers' mail and of ours, and the photos of
broken goods and the payment receipts a few customers send with their first mail.

Everything here comes from hash bits of the seed and the ticket, not from a ticket's random
stream, so adding mail to a ticket changes nothing else in its story. Ids are unique by
construction: `_splitmix` is a bijection of 64-bit words, so distinct inputs (a ticket and
a counter) give distinct ids, as `uq_messages_external` and the outbox's unique
`external_id` require.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cstui import locations
from cstui.demo.formats import _fmt_text
from cstui.demo.identity import _splitmix
from cstui.demo.vocabulary import _CATEGORIES
from cstui.domain.model import Category
from cstui.mail.files import detect_type

# Offsets of `_splitmix`'s input (after identity's 1..3 << 40), and ids per ticket.
_FOR_MAIL, _FOR_OURS, _FOR_FILES = (k << 40 for k in range(4, 7))
_PER_TICKET = 1 << 10  # a ticket's mail counter stays far below this
# Files help with goods that arrived broken and with money: a photo, a payment receipt.
_PHOTO_CATS = frozenset(
    _CATEGORIES.index(c)
    for c in (Category.RETURN, Category.REPAIR, Category.PARTS, Category.COMPLAINT)
)
_RECEIPT_CATS = frozenset(_CATEGORIES.index(c) for c in (Category.REFUND, Category.INVOICE))
# Of the e-mail tickets in those categories (about 45% of them), one in twenty: about 2%
# of the e-mail tickets.
_FILES_PER_10K = 500
_JPEG, _PDF = "image/jpeg", "application/pdf"
_Order = tuple[str, float, int]  # number, amount, placed (epoch seconds)
_SAID = {  # the line the customer adds about what is attached: (Chinese, English)
    _JPEG: ("照片我拍了，在附件里。", "I have attached a photo."),
    _PDF: ("付款凭证在附件里。", "The payment receipt is attached."),
}


def customer_message_id(seed: int, tid: int, k: int, address: str) -> str:
    """The Message-ID of ticket `tid`'s k-th customer mail, as the sender's mail service
    writes them (QQ Mail, NetEase's Coremail, others)."""
    h = _splitmix(seed * 9_999_991 + _FOR_MAIL + tid * _PER_TICKET + k)
    tail = _splitmix(h)
    local, _, domain = address.partition("@")
    if domain == "qq.com":
        return f"<tencent_{h:016X}{tail >> 32:08X}@qq.com>"
    if domain in ("163.com", "126.com"):
        return f"<{h >> 32:x}.{h & 0xFFFF:x}.{tail >> 20:x}.Coremail.{local}@{domain}>"
    return f"<{h:016x}.{tail & 0xFFFFFFFF:08x}@{domain or 'mail.invalid'}>"


def our_message_id(seed: int, tid: int, n: int, domain: str) -> str:
    """The Message-ID of ticket `tid`'s n-th delivery, in our one form
    (`<cstui.t{ticket}.{16 hex}@{domain}>`, see `cstui.domain.message_ids`), but seeded."""
    h = _splitmix(seed * 9_999_991 + _FOR_OURS + tid * _PER_TICKET + n)
    return f"<cstui.t{tid}.{h:016x}@{domain}>"


def send_delay(tid: int, n: int) -> int:
    """Seconds between queueing a delivery and the mail server taking it (1 to 28: a
    delivery stays before the world's `now`, which the story keeps 30 s ahead)."""
    return 1 + _splitmix(_FOR_OURS + tid * _PER_TICKET + n) % 28


@dataclass(frozen=True, slots=True)
class File:
    """An attachment of the demo world: its name, its detected type and bytes."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def files_for(
    seed: int, tid: int, cat: int, *, created: int, order: _Order | None, en: int
) -> tuple[File, ...]:
    """What ticket `tid`'s first mail carries (most carry nothing): a photo of the broken
    goods, a payment receipt of the order, or both. `order`: its number, amount and when it
    was placed (and paid)."""
    photo, receipt = cat in _PHOTO_CATS, cat in _RECEIPT_CATS and order is not None
    if not (photo or receipt):
        return ()
    h = _splitmix(seed * 9_999_991 + _FOR_FILES + tid)
    if h % 10_000 >= _FILES_PER_10K:
        return ()
    files = []
    if photo:
        pictures = photos()
        taken = _fmt_text(created - 600 - (h >> 16) % 7200 + 8 * 3600)  # Shanghai, before
        stamp = "".join(taken[a:b] for a, b in ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16)))
        name = f"IMG_{stamp[:8]}_{stamp[8:]}{taken[17:19]}.jpg"  # as phones name them
        files.append(_file(name, pictures[(h >> 32) % len(pictures)]))
        receipt = order is not None and (h >> 40) % 4 == 0  # a return: sometimes both
    if receipt and order is not None:
        number, amount, placed = order
        name = f"付款凭证_{number}.pdf" if en == 0 else f"receipt_{number}.pdf"
        files.append(_file(name, receipt_pdf(number, amount, placed)))
    return tuple(files)


def _file(name: str, data: bytes) -> File:
    """A file with its type read from its bytes, as the mail parser reads them."""
    return File(name, detect_type(data, "application/octet-stream"), data)


def mention(files: tuple[File, ...], en: int) -> str:
    """The customer's line about the attachments, to end the mail with."""
    return "".join(_SAID[t][en] for t in dict.fromkeys(f.content_type for f in files))


@lru_cache(maxsize=1)
def photos() -> tuple[bytes, ...]:
    """The customer photos in `fixtures/demo/photos` (drawn by `make_photos.py`)."""
    folder = locations.fixtures_dir() / "demo" / "photos"
    return tuple(p.read_bytes() for p in sorted(folder.glob("*.jpg")))


def receipt_pdf(number: str, amount: float, paid: int) -> bytes:
    """A one-page PDF payment receipt of an order (its number, amount and time)."""
    when = _fmt_text(paid + 8 * 3600)
    lines = (
        (16, "PAYMENT RECEIPT"),
        (11, f"Order number: {number}"),
        (11, f"Amount paid: CNY {amount:.2f}"),
        (11, f"Paid at: {when[0:10]} {when[11:19]} (UTC+8)"),
        (11, "Payment method: Alipay"),
    )
    text = b"".join(
        b"BT /F1 %d Tf 40 %d Td (%s) Tj ET\n" % (size, 250 - 30 * i, line.encode("ascii"))
        for i, (size, line) in enumerate(lines)
    )
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 300] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%sendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number_, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number_, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
