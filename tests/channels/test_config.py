"""The channel settings as CONTRACT.md spells them: `[channels.mail.NAME]` and
`[channels.webhook.NAME]`, beside `[[channels.mailboxes]]` and `[channels.intake.NAME]`."""

from __future__ import annotations

from pathlib import Path

import pytest

from cstui.config import load_settings
from cstui.errors import BadInput

CONFIG = """
[channels]
address = "support@shop.example"

[channels.mail.support]
host = "imap.shop.example"
username = "support@shop.example"
password = { env = "CSTUI_IMAP_PASSWORD" }

[[channels.mailboxes]]
name = "sales"
host = "imap.shop.example"
username = "sales@shop.example"
password = { file = "/etc/cstui/sales.pw" }

[channels.webhook.chat]
secret = { env = "CSTUI_CHAT_SECRET" }
webhook_url = "https://chat.example.com/replies"
"""


def test_named_tables_are_mailboxes_and_webhook_channels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(config))
    channels = load_settings().channels
    assert [(m.name, m.username, m.port) for m in channels.mailboxes] == [
        ("sales", "sales@shop.example", 993),
        ("support", "support@shop.example", 993),
    ]
    assert channels.intake["chat"].webhook_url == "https://chat.example.com/replies"


def test_a_mailbox_table_missing_a_setting_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[channels.mail.support]\nhost = "imap.shop.example"\n', encoding="utf-8")
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(config))
    with pytest.raises(BadInput, match="username"):
        load_settings()
