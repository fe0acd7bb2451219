"""Files from outside: a safe plain name, the type read from the bytes, the size limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstui.domain.files import detect_type, human_size, new_attachment, safe_filename
from cstui.errors import BadInput

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("收据.jpg", "收据.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\evil.exe", "evil.exe"),
        ("\x1b]52;c;SGVsbG8=\x07a.png", "]52;c;SGVsbG8=a.png"),
        ("photo\u202egnp.exe", "photognp.exe"),
        ("..", "attachment"),
        (".bashrc", "bashrc"),
        ("", "attachment"),
        ('a<b>:"c|?*.txt', "a_b___c___.txt"),
        ("CON.txt", "_CON.txt"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_a_name_from_outside_becomes_a_plain_file_name(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


@given(st.text())
def test_any_name_is_safe(name: str) -> None:
    safe = safe_filename(name)
    assert safe and len(safe) <= 120
    assert "/" not in safe and "\\" not in safe and safe not in (".", "..")
    assert not safe.startswith(".") and safe.isprintable()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        ("退款凭证".encode(), "text/plain"),
        ("退".encode()[:2], "text/plain"),  # a character cut at the end of the sample
        (b"\x00\x01\x02garbage", "application/octet-stream"),
        (b"\xff\xfe\xfdnot text", "application/octet-stream"),
    ],
)
def test_the_type_comes_from_the_bytes(data: bytes, kind: str) -> None:
    assert detect_type(data) == kind


def test_a_name_claiming_another_type_does_not_change_it() -> None:
    assert new_attachment("invoice.pdf", PNG, max_bytes=100).content_type == "image/png"


def test_an_empty_or_too_big_file_is_bad_input() -> None:
    with pytest.raises(BadInput, match="empty"):
        new_attachment("a.png", b"", max_bytes=100)
    with pytest.raises(BadInput, match="over the limit of 16 B"):
        new_attachment("a.png", PNG, max_bytes=16)


def test_sizes_read_as_people_write_them() -> None:
    assert [human_size(n) for n in (0, 1023, 1536, 20 * 2**20, 3 * 2**30)] == [
        "0 B",
        "1023 B",
        "1.5 KB",
        "20.0 MB",
        "3.0 GB",
    ]


def test_a_file_in_json_reads_back_as_it_was_sent() -> None:
    from cstui.domain.files import decode_attachment, encode_attachment

    sent = new_attachment("../收据.pdf", b"%PDF-1.4 x", max_bytes=100)
    back = decode_attachment(**encode_attachment(sent))
    assert back == sent and back.filename == "收据.pdf"
    for bad, why in (("%%%", "base64"), ("", "empty"), ("QQ=", "base64")):
        with pytest.raises(BadInput, match=why):
            decode_attachment("a.png", bad)
