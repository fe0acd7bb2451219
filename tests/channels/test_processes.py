"""`cstui channels run` as real processes, killed with SIGKILL:

- a sender killed mid-queue and started again sends every reply once, as the SMTP server
  counts them by Message-ID (the one case that can repeat a reply is a kill between the
  relay's acceptance and the "sent" mark's commit: the repeat carries the same Message-ID;
  the test allows at most one such repeat per kill, and prints how many it saw);
- two runners on one PostgreSQL database: exactly one polls the mailbox; kill it and the
  other takes over within 30 s; no message is stored twice;
- `cstui serve` runs the workers; the whole loop, from a customer's mail to the reply
  threaded in their own mailbox.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from cstui.domain.channels import DeliveryState
from cstui.domain.model import MessageKind, Role, Shift
from cstui.mail.parse import parse_message
from cstui.store import SqlStore, View, init_store

from ..conftest import _reset_pg
from ..processes import CstuiProcess
from .conftest import PASSWORD, PASSWORD_ENV, Dovecot, SmtpServer, running_mta, wait_for
from .mails import customer_mail

pytestmark = pytest.mark.slow


def Runner(db: str, config: Path) -> CstuiProcess:
    """One `cstui channels run` process, the mailbox's password in its environment."""
    env = {"CSTUI_CONFIG_FILE": str(config), PASSWORD_ENV: PASSWORD}
    return CstuiProcess(["channels", "run", "--db", db], env)


def write_config(path: Path, **sections: dict[str, Any]) -> Path:
    lines = ["[channels]", 'address = "support@shop.example"', "retry_seconds = 1"]
    lines += [f"{k} = {_toml(v)}" for k, v in sections.pop("channels", {}).items()]
    for name, values in sections.items():
        header = f"[[channels.{name}]]" if name == "mailboxes" else f"[channels.{name}]"
        lines.append(header)
        lines += [f"{k} = {_toml(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, str | Path):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value).lower() if isinstance(value, bool) else str(value)


def queue_replies(store: SqlStore, count: int) -> None:
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    for n in range(count):
        outcome = store.ingest(parse_message(customer_mail(n, sender=f"b{n}@example.cn")))
        assert outcome.ticket_id is not None
        store.take(outcome.ticket_id, actor="alice")
        store.add_message(
            outcome.ticket_id, actor="alice", kind=MessageKind.REPLY, text=f"回复 {n}"
        )


def test_a_sender_killed_mid_queue_sends_every_reply_once(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    replies = 40
    db = str(tmp_path / "cstui.db")
    store = init_store(db)
    queue_replies(store, replies)
    smtp_server.collector.delay = 0.05  # the relay is slow: a kill lands mid-queue
    config = write_config(
        tmp_path / "config.toml",
        channels={"delivery_lease_seconds": 3},
        smtp={"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
    )
    collector = smtp_server.collector
    kills = 0
    try:
        for stop_at in (8, 20):
            runner = Runner(db, config)
            wait_for(lambda s=stop_at: collector.count() >= s, timeout=60, what=f"{stop_at} sent")
            runner.kill()
            kills += 1
        last = Runner(db, config)
        wait_for(
            lambda: store.delivery_counts()[DeliveryState.SENT] == replies,
            timeout=90,
            what="every reply marked sent",
        )
    finally:
        for r in [locals().get("runner"), locals().get("last")]:
            if r is not None:
                r.stop()
    counted = collector.by_message_id()
    expected = {d.id: d for d in store.deliveries(limit=1000)}
    repeats = sum(n - 1 for n in counted.values())
    print(f"\n{replies} replies, {kills} kills: {len(counted)} Message-IDs, {repeats} repeats")
    assert len(counted) == replies == len(expected)
    assert repeats <= kills  # only the reply in flight at a kill can repeat (same Message-ID)
    assert last.said("sent")
    assert last.proc.returncode == 0 and last.said("cstui channels: stopped")  # SIGTERM: clean
    store.close()


@pytest.mark.postgres
def test_two_runners_on_postgresql_poll_a_mailbox_once_and_take_over(
    tmp_path: Path, pg_url: str, dovecot: Dovecot, mailbox_user: str
) -> None:
    _reset_pg(pg_url)
    store = init_store(pg_url)
    mailbox = dovecot.settings(mailbox_user, name="support")
    config = write_config(
        tmp_path / "config.toml",
        mailboxes={
            "name": "support",
            "host": "127.0.0.1",
            "port": mailbox.port,
            "security": "tls",
            "username": mailbox_user,
            "password": {"env": PASSWORD_ENV},
            "ca_file": dovecot.ca_file,
            "poll_seconds": 0.5,
        },
    )
    first_batch = [customer_mail(n, sender=f"b{n}@example.cn") for n in range(20)]
    dovecot.deliver(mailbox_user, first_batch)
    runners = [Runner(pg_url, config), Runner(pg_url, config)]
    try:
        polling = "mailbox support: this process polls it"
        wait_for(lambda: any(r.said(polling) for r in runners), timeout=30, what="a poller")
        wait_for(lambda: _customer_mails(store) == 20, timeout=30, what="20 mails stored")
        holders = [r for r in runners if r.said(polling)]
        assert len(holders) == 1, [r.lines for r in runners]
        [holder] = holders
        [standby] = [r for r in runners if r is not holder]
        holder.kill()
        killed_at = time.monotonic()
        dovecot.deliver(
            mailbox_user, [customer_mail(n, sender=f"b{n}@example.cn") for n in range(20, 30)]
        )
        wait_for(lambda: standby.said(polling), timeout=30, what="the standby to take over")
        took_over = time.monotonic() - killed_at
        wait_for(lambda: _customer_mails(store) == 30, timeout=30, what="30 mails stored")
        print(f"\ntakeover after {took_over:.1f} s")
        assert took_over < 30
    finally:
        for r in runners:
            r.stop()
    assert _customer_mails(store) == 30  # each Message-ID stored once
    assert len(store.list_tickets(View.ALL_OPEN, actor=None, limit=100).items) == 30
    store.close()


def _customer_mails(store: SqlStore) -> int:
    from sqlalchemy import func, select

    from cstui.store.schema import MESSAGES

    with store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(MESSAGES)
                .where(MESSAGES.c.external_id.is_not(None))
            ).scalar_one()
        )


def test_serve_runs_the_channel_workers(tmp_path: Path, smtp_server: SmtpServer) -> None:
    from tests.serving import ServeProcess

    db = str(tmp_path / "cstui.db")
    store = init_store(db)
    queue_replies(store, 2)
    config = write_config(
        tmp_path / "config.toml",
        smtp={"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
    )
    with ServeProcess(db, env={"CSTUI_CONFIG_FILE": str(config)}) as server:
        wait_for(lambda: smtp_server.collector.count() == 2, timeout=30, what="2 replies sent")
        wait_for(
            lambda: store.delivery_counts()[DeliveryState.SENT] == 2, timeout=30, what="marked"
        )
    assert "cstui.channels: delivery" in "".join(server.output)
    store.close()


def test_a_customers_mail_becomes_a_ticket_and_the_reply_lands_threaded_in_their_mailbox(
    tmp_path: Path, dovecot: Dovecot, mail_password: str
) -> None:
    """The whole loop with real servers: a customer's mail in the support mailbox, polled by
    `cstui channels run`; the agent's reply leaves by SMTP, a small MTA (aiosmtpd) delivers
    it into the customer's own Dovecot mailbox, where IMAP THREAD puts it under the original."""
    support, customer = dovecot.add_user(), dovecot.add_user()
    original = customer_mail(1, sender="buyer@example.cn")
    dovecot.deliver(support, [original])
    dovecot.deliver(customer, [original])  # the customer's copy of what they sent
    with running_mta(dovecot, {"buyer@example.cn": customer}) as port:
        db = str(tmp_path / "cstui.db")
        store = init_store(db)
        store.add_agent("alice", Role.AGENT, Shift.MORNING)
        config = write_config(
            tmp_path / "config.toml",
            mailboxes={
                "name": "support",
                "host": "127.0.0.1",
                "port": dovecot.imaps_port,
                "security": "tls",
                "username": support,
                "password": {"env": PASSWORD_ENV},
                "ca_file": dovecot.ca_file,
                "poll_seconds": 0.3,
            },
            smtp={"host": "127.0.0.1", "port": port, "security": "none"},
        )
        runner = Runner(db, config)
        try:
            tickets = wait_for(
                lambda: store.list_tickets(View.ALL_OPEN, actor=None, limit=5).items,
                timeout=30,
                what="the ticket",
            )
            ticket = tickets[0]
            store.take(ticket.id, actor="alice")
            store.add_message(
                ticket.id, actor="alice", kind=MessageKind.REPLY, text="已为您催促物流"
            )
            client = dovecot.client(customer)
            try:

                def threaded() -> Any:
                    client.select_folder("INBOX", readonly=True)
                    return client.search(["ALL"]) == [1, 2] and client.thread("REFERENCES")

                threads = wait_for(threaded, timeout=30, what="the reply in the customer's mailbox")
                reply = client.fetch([2], [b"BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])[2]
            finally:
                client.logout()
        finally:
            runner.stop()
    assert threads == ((1, 2),)  # one thread: the reply under the original
    [subject] = [v for v in reply.values() if isinstance(v, bytes)]
    assert f"[#{ticket.id}]".encode() in subject
    store.close()
