"""`cstui channels check` and `status` against real servers: what they report and their
exit codes (CONTRACT.md: 5 a refused login, 6 a server not there, 4 no such name)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cstui.__main__ import main
from cstui.store import init_store

from .conftest import PASSWORD_ENV, Dovecot, SmtpServer, free_port
from .mails import customer_mail
from .test_processes import queue_replies, write_config


def configure(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dovecot: Dovecot,
    user: str,
    smtp_port: int,
    password_env: str = PASSWORD_ENV,
) -> str:
    mailbox = dovecot.settings(user, security="starttls")
    config = write_config(
        tmp_path / "config.toml",
        mailboxes={
            "name": "support",
            "host": "127.0.0.1",
            "port": mailbox.port,
            "security": "starttls",
            "username": user,
            "password": {"env": password_env},
            "ca_file": dovecot.ca_file,
        },
        smtp={"host": "127.0.0.1", "port": smtp_port, "security": "none"},
    )
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(config))
    db = str(tmp_path / "cstui.db")
    init_store(db).close()
    return db


def test_check_logs_in_and_counts_what_waits(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dovecot: Dovecot,
    mailbox_user: str,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = configure(tmp_path, monkeypatch, dovecot, mailbox_user, smtp_server.port)
    dovecot.deliver(mailbox_user, [customer_mail(n) for n in range(2)])
    assert main(["channels", "check", "--db", db, "--json"]) == 0
    items = {i["name"]: i for i in json.loads(capsys.readouterr().out)["items"]}
    assert items["support"]["ok"] and items["support"]["waiting"] == 2
    assert items["smtp"]["ok"] and items["smtp"]["login"] == "ok"
    assert main(["channels", "check", "support", "--db", db]) == 0
    assert "2 messages, 2 waiting" in capsys.readouterr().out
    assert main(["channels", "check", "nosuch", "--db", db]) == 4


def test_check_exit_codes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dovecot: Dovecot,
    mailbox_user: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WRONG_PASSWORD", "nope")
    db = configure(tmp_path, monkeypatch, dovecot, mailbox_user, free_port(), "WRONG_PASSWORD")
    assert main(["channels", "check", "support", "--db", db]) == 5
    assert "login refused" in capsys.readouterr().out
    assert main(["channels", "check", "smtp", "--db", db]) == 6
    monkeypatch.delenv("WRONG_PASSWORD")
    assert main(["channels", "check", "support", "--db", db]) == 2  # the secret is missing


def test_status_counts_the_queue_and_shows_failures(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dovecot: Dovecot,
    mailbox_user: str,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cstui.channel_config import ChannelSettings
    from cstui.channels.retry import RetryPolicy
    from cstui.channels.service import senders_for
    from cstui.channels.worker import DeliveryWorker

    db = configure(tmp_path, monkeypatch, dovecot, mailbox_user, smtp_server.port)
    store = init_store(db)
    queue_replies(store, 3)
    smtp_server.collector.refuse = lambda r: (
        "550 5.1.1 no such user" if r == "b1@example.cn" else None
    )
    settings = ChannelSettings(address="support@shop.example", smtp=smtp_server.settings())
    worker = DeliveryWorker(
        store,
        settings,
        senders_for(settings, clock=store.clock, lang="zh"),
        clock=store.clock,
        policy=RetryPolicy(),
    )
    worker.batch = 2
    worker.run_once()
    store.close()
    assert main(["channels", "status", "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"queued": 1, "sent": 1, "failed": 1}
    [failed] = data["failed"]
    assert "550 5.1.1 no such user" in failed["error"]
    assert data["mailboxes"] == [{"name": "support", "uidvalidity": None, "last_uid": None}]
    assert main(["channels", "status", "--db", db]) == 0
    assert "failed: 1" in capsys.readouterr().out
