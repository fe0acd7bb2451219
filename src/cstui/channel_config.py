"""The `[channels]` settings: mailboxes to poll, the SMTP relay, chat/app/social intake and
the CSAT survey.

Secrets (passwords, HMAC keys) never sit in the config file or on a command line: a setting
names an environment variable (`*_env`) or a file (`*_file`) that only its owner may read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cstui.errors import BadInput

DEFAULT_ATTACHMENT_LIMIT = 20 * 1024 * 1024  # bytes a file


class Strict(BaseModel):
    # A misspelt key ("[channels.mailbox.x]", "pasword") is an error naming it, not a
    # setting silently ignored.
    model_config = ConfigDict(extra="forbid")


def _home(path: Path | None) -> Path | None:
    """`~/…` as the shell would read it: a config file is written like a command line."""
    return None if path is None else path.expanduser()


class SecretRef(Strict):
    """Where a secret is: an environment variable or an owner-only file (one of them)."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_the_secret_itself(cls, data: Any) -> Any:
        if isinstance(data, str):
            raise ValueError(
                "a secret is never written in the config file: name where it is, "
                '{ env = "VARIABLE" } or { file = "/path/to/file" } (mode 600)'
            )
        return data

    @field_validator("file")
    @classmethod
    def _file_home(cls, path: Path | None) -> Path | None:
        return _home(path)

    @model_validator(mode="after")
    def _one_place(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret names exactly one of `env` or `file`")
        return self

    def value(self, what: str) -> str:
        """The secret; BadInput (one line) when it is missing or its file is readable by
        others (`what` names the setting in the message)."""
        if self.env is not None:
            found = os.environ.get(self.env)
            if not found:
                raise BadInput(f"{what}: the environment variable {self.env} is not set")
            return found
        assert self.file is not None
        try:
            mode = self.file.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise BadInput(f"{what}: {self.file} is readable by others (chmod 600 {self.file})")
            return self.file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise BadInput(f"{what}: {self.file}: {exc.strerror}") from None


class MailboxSettings(Strict):
    """One IMAP mailbox polled for customers' mail."""

    name: str = Field(min_length=1, max_length=64)
    host: str
    port: int = Field(993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "tls"  # "none": loopback tests only
    username: str
    password: SecretRef
    folder: str = "INBOX"
    poll_seconds: float = Field(30.0, gt=0)
    ca_file: Path | None = None  # trust this CA (a self-signed server) besides the system's

    @field_validator("ca_file")
    @classmethod
    def _ca_home(cls, path: Path | None) -> Path | None:
        return _home(path)


class SmtpSettings(Strict):
    """The relay replies, acknowledgements and surveys leave through."""

    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str | None = None
    password: SecretRef | None = None
    ca_file: Path | None = None

    @field_validator("ca_file")
    @classmethod
    def _ca_home(cls, path: Path | None) -> Path | None:
        return _home(path)


class IntakeSettings(Strict):
    """A chat, app or social channel posting to `/api/v1/intake/{name}` and taking replies
    at its webhook, both signed with HMAC-SHA256 under `secret`."""

    secret: SecretRef
    webhook_url: str | None = None  # where replies go; None: replies stay in cstui


class SurveySettings(Strict):
    """The CSAT question sent once when a ticket is resolved."""

    enabled: bool = True
    secret: SecretRef | None = None  # signs the links; required when mail surveys are on
    base_url: str = "http://127.0.0.1:8787"  # where customers reach `cstui serve` (its port)
    valid_days: int = Field(14, ge=1)


class ChannelSettings(Strict):
    address: str = "support@example.com"  # the team's address: From of every mail we send
    display_name: str = "Customer Service"
    ticket_tag_prefix: str = "#"  # subjects carry "[#1234]"
    thread_days: int = Field(7, ge=0)  # same sender, same subject, open ticket
    reopen_days: int = Field(7, ge=0)  # a reply within this after closing reopens it
    acknowledge_new: bool = False  # "we received your request" to new senders
    acknowledge_per_hour: int = Field(3, ge=0)  # at most this many to one sender an hour
    attachment_max_bytes: int = Field(DEFAULT_ATTACHMENT_LIMIT, ge=1)
    max_attempts: int = Field(8, ge=1)  # then a delivery is failed
    retry_seconds: float = Field(30.0, gt=0)  # the first retry's wait; doubling from there
    retry_max_seconds: float = Field(3600.0, gt=0)  # the longest wait between two attempts
    # How long a worker holds the deliveries it claimed: after a crash, its claimed but
    # unsent deliveries wait this long before another worker takes them.
    delivery_lease_seconds: float = Field(300.0, ge=1)
    mailboxes: list[MailboxSettings] = []
    smtp: SmtpSettings | None = None
    intake: dict[str, IntakeSettings] = {}  # by channel: chat, app, social
    survey: SurveySettings = SurveySettings()

    @model_validator(mode="before")
    @classmethod
    def _named_tables(cls, data: Any) -> Any:
        """CONTRACT.md's spelling: `[channels.mail.NAME]` for a mailbox (the table's name is
        the mailbox's) and `[channels.webhook.NAME]` for a chat channel, taken as
        `mailboxes` and `intake` entries; both spellings may be mixed."""
        if not isinstance(data, dict) or not ({"mail", "webhook"} & data.keys()):
            return data
        data = dict(data)
        mail, webhook = data.pop("mail", {}), data.pop("webhook", {})
        if not isinstance(mail, dict) or not isinstance(webhook, dict):
            raise ValueError("[channels.mail.NAME] and [channels.webhook.NAME] are tables")
        named = [{**table, "name": name} for name, table in mail.items()]
        data["mailboxes"] = [*data.get("mailboxes", []), *named]
        data["intake"] = {**data.get("intake", {}), **webhook}
        return data
