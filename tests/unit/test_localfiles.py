"""Files on the agent's machine: read whole or refused, saved without overwriting anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cstui.errors import BadInput
from cstui.localfiles import has_desktop, read_attachments, save_download


def test_saving_never_overwrites_and_never_follows_a_link(tmp_path: Path) -> None:
    first = save_download(tmp_path, "收据.pdf", b"one")
    second = save_download(tmp_path, "收据.pdf", b"two")
    outside = tmp_path.parent / f"{tmp_path.name}-target"
    (tmp_path / "收据 (3).pdf").symlink_to(outside)  # a trap left under the next name
    third = save_download(tmp_path, "收据.pdf", b"three")
    assert [p.name for p in (first, second, third)] == ["收据.pdf", "收据 (2).pdf", "收据 (4).pdf"]
    assert [p.read_bytes() for p in (first, second, third)] == [b"one", b"two", b"three"]
    assert not outside.exists()
    assert os.stat(first).st_mode & 0o077 == 0  # the customer's document: owner only


@pytest.mark.parametrize(
    ("name", "saved"),
    [("../../.bashrc", "bashrc"), ("\x1b[2Jx.png", "[2Jx.png"), ("", "attachment")],
)
def test_a_name_from_a_customer_is_never_a_path(tmp_path: Path, name: str, saved: str) -> None:
    path = save_download(tmp_path / "dl", name, b"x")
    assert path.parent == tmp_path / "dl" and path.name == saved


def test_reading_refuses_what_is_not_a_small_regular_file(tmp_path: Path) -> None:
    ok = tmp_path / "a.txt"
    ok.write_text("好")
    (tmp_path / "empty").write_bytes(b"")
    assert [f.filename for f in read_attachments([str(ok)], max_bytes=10)] == ["a.txt"]
    for bad, why in (
        (tmp_path / "missing", "not a regular file"),
        (tmp_path, "not a regular file"),
        (tmp_path / "empty", "empty"),
    ):
        with pytest.raises(BadInput, match=why):
            read_attachments([str(ok), str(bad)], max_bytes=10)
    with pytest.raises(BadInput, match="over the limit of 2 B"):
        read_attachments([str(ok)], max_bytes=2)


def test_a_desktop_is_x11_or_wayland() -> None:
    assert not has_desktop({})
    assert has_desktop({"DISPLAY": ":0"}) and has_desktop({"WAYLAND_DISPLAY": "wayland-0"})
