"""Who a token acts as is remembered, so the console can open while its server is down."""

from __future__ import annotations

from pathlib import Path

import pytest

from cstui.errors import Unavailable
from cstui.remote.whoami import token_owner

URL = "http://helpdesk.local:8787"


def down() -> str:
    raise Unavailable(f"server {URL}: connection refused")


def test_the_answer_is_remembered_and_used_while_the_server_is_down(tmp_path: Path) -> None:
    remembered = tmp_path / "data" / "token-owners.json"
    assert token_owner(URL, "tok-1", lambda: "agent07", remembered) == "agent07"
    assert token_owner(URL + "/", "tok-1", down, remembered) == "agent07"
    assert "tok-1" not in remembered.read_text()  # only hashes are kept


def test_an_unknown_token_while_down_says_why_in_one_line(tmp_path: Path) -> None:
    remembered = tmp_path / "token-owners.json"
    token_owner(URL, "tok-1", lambda: "agent07", remembered)
    for url, token in ((URL, "tok-2"), ("http://other:8787", "tok-1")):
        with pytest.raises(Unavailable, match="never used here") as caught:
            token_owner(url, token, down, remembered)
        assert "\n" not in str(caught.value)


def test_a_new_owner_replaces_the_old_and_a_broken_file_is_ignored(tmp_path: Path) -> None:
    remembered = tmp_path / "token-owners.json"
    remembered.write_text("{not json")
    assert token_owner(URL, "tok-1", lambda: "agent07", remembered) == "agent07"
    assert token_owner(URL, "tok-1", lambda: "agent08", remembered) == "agent08"
    assert token_owner(URL, "tok-1", down, remembered) == "agent08"
