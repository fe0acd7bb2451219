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


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('[channels.mailbox.support]\nhost = "imap.shop.example"\n', "channels.mailbox"),
        (
            '[channels.smtp]\nhost = "smtp.shop.example"\npasword = { env = "X" }\n',
            "pasword",
        ),
        (
            '[channels.mail.s]\nhost = "h"\nusername = "u"\npassword = "hunter2"\n',
            "never written in the config file",
        ),
    ],
    ids=["misspelt table", "misspelt key", "a password written out"],
)
def test_a_mistake_in_the_channels_is_named_not_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, named: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(table, encoding="utf-8")
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(config))
    with pytest.raises(BadInput, match=named):
        load_settings()


def test_secret_files_and_certificates_may_be_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "imap.pw").write_text("s3cret\n", encoding="utf-8")
    (tmp_path / "imap.pw").chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text(
        '[channels.mail.support]\nhost = "h"\nusername = "u"\n'
        'password = { file = "~/imap.pw" }\nca_file = "~/ca.pem"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(config))
    [mailbox] = load_settings().channels.mailboxes
    assert mailbox.password.value("password") == "s3cret"
    assert mailbox.ca_file == tmp_path / "ca.pem"
