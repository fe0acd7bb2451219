"""Properties of the mail parser over arbitrary input, and compose -> parse round trips.

Any bytes parse (a mailbox is never blocked by one broken mail), no attachment name can
name a directory, and what we send reads back the same: subject, body, tag, Message-ID.
"""

from __future__ import annotations

import base64
import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cstui.domain.channels import Attachment, DeliveryKind, Inbound, Outbound
from cstui.domain.model import Channel
from cstui.mail.compose import build_reply, make_message_id, ticket_from_message_id
from cstui.mail.files import safe_filename
from cstui.mail.parse import parse_message
from cstui.mail.subject import normalise, strip_prefixes, ticket_tag

NOW = datetime(2026, 3, 1, tzinfo=UTC)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_HEADER_NAMES = st.sampled_from(
    [
        "From",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Content-Type",
        "Content-Disposition",
        "Content-Transfer-Encoding",
        "Auto-Submitted",
        "Precedence",
        "X-Autoreply",
    ]
)
_VALUES = st.one_of(
    st.binary(max_size=80),
    st.sampled_from(
        [
            b"multipart/mixed; boundary=b",
            b"multipart/report; report-type=delivery-status; boundary=b",
            b"multipart/alternative; boundary=b",
            b"text/html; charset=gb2312",
            b"text/plain; charset=x-unknown",
            b"message/rfc822",
            b"attachment; filename*=gbk''%B0%A1%2F..%2Fx",
            b'attachment; filename="=?utf-8?B?Li4vLi4v?="',
            b"=?gbk?B?0dM=?= =?utf-8?Q?=E4=B8?= =?bogus?X?zz?=",
            b"base64",
            b"quoted-printable",
            b"Mon, 99 Foo 99999 99:99:99 +9999",
            b"MAILER-DAEMON@x",
            b'attachment; filename="\xd0\xa9 =?utf-8?B?5paH?= x.txt"',
            b"text/plain; charset=idna",
            b"text/plain; charset=base64",
            b"text/html; charset=punycode",
            b"=?idna?B?/w==?= =?undefined?Q?=FF?= =?zlib?B?AA==?=",
        ]
    ),
)
_BODIES = st.one_of(
    st.binary(max_size=400),
    st.sampled_from(
        [
            b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: image/png\r\n"
            b"Content-Disposition: attachment; filename=../../x\r\n\r\n\x89PNG\r\n--b--\r\n",
            b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nx\r\n--b--\r\n",
            b"--b\r\n--b\r\n--b--",
            b"<html><script>x</script>\x1b[2J<p>t</p>",
        ]
    ),
)


@st.composite
def raw_mails(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(_HEADER_NAMES, _VALUES), max_size=10))
    head = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
    return head + draw(st.sampled_from([b"\r\n", b"\n", b""])) + draw(_BODIES)


def _storable(text: str) -> None:
    # What a PostgreSQL text column takes: UTF-8 without NUL.
    text.encode("utf-8")
    assert "\x00" not in text


def _check(parsed: Inbound) -> None:
    for text in (parsed.subject, parsed.text, parsed.full_text, parsed.sender_name):
        _storable(text)
    for line in (parsed.subject, parsed.sender_name):
        assert len(line.splitlines()) <= 1 and "\t" not in line
    for text in (parsed.sender_address, parsed.external_id, *parsed.references):
        _storable(text)
    assert parsed.external_id.startswith("<") and parsed.external_id.endswith(">")
    assert len(parsed.external_id) <= 255
    assert parsed.received_at.tzinfo is not None
    for attachment in parsed.attachments:
        name = attachment.filename
        assert name and "/" not in name and "\\" not in name and not name.startswith(".")
        assert name.isprintable()
        assert len(name) <= 150 and len(name.encode()) <= 240
        assert len(attachment.content_type) <= 128
        _storable(name)


@PROPERTY
@given(st.binary(max_size=2000))
def test_any_bytes_parse(raw: bytes) -> None:
    _check(parse_message(raw, now=NOW))


@PROPERTY
@given(raw_mails())
def test_any_mail_shaped_bytes_parse(raw: bytes) -> None:
    _check(parse_message(raw, now=NOW, max_attachment_bytes=64))


@PROPERTY
@given(st.text(max_size=300), st.text(alphabet=".-_/\\ ", max_size=5))
def test_no_file_name_names_a_directory(name: str, noise: str) -> None:
    safe = safe_filename(noise + name + noise, "fallback.bin")
    assert "/" not in safe and "\\" not in safe
    assert not safe.startswith(".") and safe not in ("", ".", "..")
    assert safe.isprintable() and len(safe) <= 150


@PROPERTY
@given(st.text(max_size=200))
def test_hostile_names_in_mail_come_out_safe(name: str) -> None:
    encoded = base64.b64encode(name.encode()).decode()
    raw = (
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="=?utf-8?B?{encoded}?="\r\n\r\nx\r\n--b--\r\n'
    ).encode()
    parsed = parse_message(raw, now=NOW)
    _check(parsed)
    assert len(parsed.attachments) == 1


def test_raw_utf8_beside_an_encoded_word_in_a_file_name() -> None:
    # Found by mutating the corpus: the parameter came back decoded, then was decoded again.
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="\xd0\xa9 =?utf-8?B?5paH?= x.txt"\r\n'
        b"\r\nx\r\n--b--\r\n"
    )
    assert [a.filename for a in parse_message(raw, now=NOW).attachments] == ["Щ 文 x.txt"]


_SUBJECT_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"), blacklist_characters="[]"
    ),
    max_size=60,
)
_BODY_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Co", "Cn"), blacklist_characters="\r"),
    max_size=400,
)


def _outbound(ticket_id: int, subject: str, body: str, kind: DeliveryKind) -> Outbound:
    return Outbound(
        id=7,
        ticket_id=ticket_id,
        kind=kind,
        channel=Channel.EMAIL,
        recipient="customer@example.cn",
        recipient_name="顾客\r\nBcc: evil@example.com",
        subject=subject,
        body=body,
        external_id=make_message_id(ticket_id, "shop.example.cn", delivery_id=7),
        in_reply_to="<their-mail@example.cn>",
        references=("<root@example.cn>",),
        conversation_id=None,
        attempts=0,
    )


@PROPERTY
@given(st.integers(1, 10**9), _SUBJECT_TEXT, _BODY_TEXT, st.sampled_from(list(DeliveryKind)))
def test_compose_then_parse_round_trips(
    ticket_id: int, subject: str, body: str, kind: DeliveryKind
) -> None:
    outbound = _outbound(ticket_id, subject, body, kind)
    sent = build_reply(outbound, from_addr="support@shop.example.cn", from_name="小店客服")
    parsed = parse_message(sent.as_bytes(), now=NOW)
    assert parsed.external_id == outbound.external_id
    assert ticket_from_message_id(parsed.external_id) == ticket_id
    assert parsed.ticket_tag == ticket_id
    assert normalise(parsed.subject) == normalise(subject)
    sent_text = body.replace("\r\n", "\n").replace("\x00", "\ufffd")  # NUL is not storable
    assert parsed.full_text == sent_text.strip("\n").strip()
    assert parsed.references == ("<their-mail@example.cn>", "<root@example.cn>")
    assert parsed.sender_address == "support@shop.example.cn"
    assert "Bcc" not in sent and sent["To"].addresses[0].addr_spec == "customer@example.cn"
    expected_auto = "none" if kind is DeliveryKind.REPLY else "auto_reply"
    assert parsed.auto.value == expected_auto


def test_compose_adds_attachments_that_parse_back() -> None:
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))
    attachment = Attachment(
        id=1,
        ticket_id=42,
        message_id=None,
        filename="退货单 2026.jpg",
        content_type="image/jpeg",
        size=len(photo),
        sha256="",
        created_at=NOW,
    )
    outbound = _outbound(42, "退货", "请查收。", DeliveryKind.REPLY)
    sent = build_reply(
        outbound,
        from_addr="support@shop.example.cn",
        from_name="小店客服",
        attachments=[(attachment, photo)],
        now=NOW,
    )
    parsed = parse_message(sent.as_bytes(), now=NOW)
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("退货单 2026.jpg", "image/jpeg", photo)
    ]
    assert parsed.subject == "Re: 退货 [#42]"
    assert parsed.received_at == NOW


@PROPERTY
@given(_SUBJECT_TEXT, st.integers(1, 2**31 - 1), st.sampled_from(["#", "CS-", "工单"]))
def test_a_tag_reads_back_under_any_prefixes(subject: str, ticket_id: int, prefix: str) -> None:
    from cstui.mail.subject import tagged

    replied = "回复: RE: Fwd: " + tagged(subject, ticket_id, prefix)
    assert ticket_tag(replied, prefix) == ticket_id
    assert strip_prefixes(replied, prefix) == strip_prefixes(subject, prefix)


@given(st.text(alphabet=string.ascii_letters + string.digits + ".-", min_size=1, max_size=30))
def test_only_our_message_ids_name_a_ticket(local: str) -> None:
    assert ticket_from_message_id(f"<{local}@example.cn>") is None or local.startswith("cstui.t")
