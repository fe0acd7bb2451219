"""Our mail out: a queued `Outbound` as an RFC 5322 message, threaded and tagged.

Every message we send carries our own Message-ID (`<cstui.t1234.d56.<random>@domain>`: the
ticket and the delivery it came from, readable back by `ticket_from_message_id`), the
customer's In-Reply-To / References, and the ticket tag in the subject, so a reply finds
its ticket by any of the three. Text is UTF-8; headers with Chinese in them go out as
encoded-words and file names as RFC 2231, which every client reads. Acknowledgements and
surveys say `Auto-Submitted: auto-replied` (RFC 3834) so that vacation programs stay quiet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from cstui.domain.channels import Attachment, DeliveryKind, Outbound
from cstui.domain.message_ids import (  # noqa: F401  (re-exported: the mail API names them)
    delivery_from_message_id,
    domain_of,
    make_message_id,
    ticket_from_message_id,
)
from cstui.mail.subject import strip_prefixes, tagged

# 7bit: bodies go out quoted-printable or base64, safe through any relay.
POLICY = policy.default.clone(cte_type="7bit")
_SENDABLE_ID = re.compile(r"^<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>$")  # printable ASCII, no <>
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(text: str) -> str:
    # A name or subject from a customer must not start a new header.
    return _CONTROLS.sub(" ", text).strip()


def _address(name: str, address: str) -> Address:
    try:
        return Address(display_name=_one_line(name), addr_spec=address.strip())
    except (ValueError, IndexError) as exc:  # the parser's defects are ValueErrors
        raise ValueError(f"no mail can be sent to {address!r}: {exc}") from None


def _subject(outbound: Outbound, tag_prefix: str) -> str:
    base = _one_line(outbound.subject)
    if outbound.in_reply_to and strip_prefixes(base, tag_prefix) == base:
        base = f"Re: {base}" if base else "Re:"
    return tagged(base, outbound.ticket_id, tag_prefix)


def _thread(outbound: Outbound) -> tuple[str | None, list[str]]:
    ids = list(outbound.references)
    if outbound.in_reply_to and outbound.in_reply_to not in ids:
        ids.append(outbound.in_reply_to)
    sendable = [i for i in ids if _SENDABLE_ID.match(i)]
    parent = outbound.in_reply_to if outbound.in_reply_to in sendable else None
    return parent, sendable


def _add_file(message: EmailMessage, attachment: Attachment, data: bytes) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    if not subtype or maintype in ("message", "multipart"):
        maintype, subtype = "application", "octet-stream"
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.filename)


def build_reply(
    outbound: Outbound,
    *,
    from_addr: str,
    from_name: str,
    tag_prefix: str = "#",
    attachments: Sequence[tuple[Attachment, bytes]] = (),
    now: datetime | None = None,
) -> EmailMessage:
    """The message to send for `outbound`. Raises ValueError when an address cannot be
    written in a header (a permanent failure: sending it again will not help)."""
    message = EmailMessage(policy=POLICY)
    message["From"] = _address(from_name, from_addr)
    message["To"] = _address(outbound.recipient_name, outbound.recipient)
    message["Subject"] = _subject(outbound, tag_prefix)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = outbound.external_id
    parent, references = _thread(outbound)
    if parent:
        message["In-Reply-To"] = parent
    if references:
        message["References"] = " ".join(references)
    if outbound.kind is not DeliveryKind.REPLY:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(outbound.body, subtype="plain", charset="utf-8")
    for attachment, data in attachments:
        _add_file(message, attachment, data)
    return message
