"""IMAP poll: 1,000 new messages fetched from a real Dovecot, parsed and stored, in ≤ 15 s.

Why: a support mailbox that was down for an hour, or a first poll, must not leave customers'
mail waiting for minutes. This starts Dovecot (as the channel tests do: its own config, IMAPS
on a loopback port, a self-signed certificate), delivers `--messages` customer mails into a
fresh mailbox by IMAP APPEND (not timed), then times one `MailboxWorker.poll_once()` on an
empty store: search, sizes, batched BODY.PEEK[] fetches, `parse_message`, the store's
`ingest` (threading, customers, tickets, SLA) and the cursor after each batch.

The mails are what a day brings: new customers (new tickets), replies threaded by
In-Reply-To to an earlier mail, a tenth with a 60 KB photo attached, GBK and UTF-8 bodies.
Side by side in the same run: the fetch alone (the same poll with an ingest that drops the
message), to show where the time goes.

    python bench/imap_poll.py [--messages 1000] [--backend sqlite,postgres]

Results: `bench/results/imap_poll.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.channels.conftest import PASSWORD, PASSWORD_ENV, running_dovecot  # noqa: E402

from cstui.channel_config import ChannelSettings  # noqa: E402
from cstui.channels import imap  # noqa: E402
from cstui.channels.locks import NoLock  # noqa: E402
from cstui.channels.service import parser  # noqa: E402
from cstui.channels.worker import MailboxWorker  # noqa: E402
from cstui.store import init_store  # noqa: E402

TARGET_SECONDS = 15.0
PG_URL = os.environ.get("CSTUI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def mails(count: int) -> list[bytes]:
    photo = bytes(range(256)) * 240  # 60 KB
    out = []
    for n in range(count):
        m = EmailMessage()
        customer = n if n % 3 else max(0, n - 2)  # every third is a reply to an earlier one
        m["From"] = f"买家{customer} <buyer{customer}@example.cn>"
        m["To"] = "support@shop.example"
        m["Date"] = format_datetime(START + timedelta(seconds=n))
        m["Message-ID"] = f"<bench.{n}@example.cn>"
        if n % 3 == 0 and n >= 2:
            m["Subject"] = f"回复: 订单 {100000 + customer} 还没到"
            m["In-Reply-To"] = f"<bench.{n - 2}@example.cn>"
        else:
            m["Subject"] = f"订单 {100000 + customer} 还没到"
        text = f"你好，我的订单 {100000 + customer} 已经五天没有物流更新了，请帮忙查一下。\n" * 3
        m.set_content(text, charset="gbk" if n % 2 else "utf-8")
        if n % 10 == 5:
            m.add_attachment(photo, maintype="image", subtype="jpeg", filename="破损照片.jpg")
        out.append(bytes(m))
    return out


def fill(dovecot: object, user: str, raws: list[bytes]) -> None:
    client = dovecot.client(user)  # type: ignore[attr-defined]
    try:
        for raw in raws:
            client.append("INBOX", raw)
    finally:
        client.logout()


def run(backend: str, count: int, dovecot: object, user: str, workdir: Path) -> dict[str, object]:
    if backend == "sqlite":
        target = str(workdir / f"poll-{count}.db")
        Path(target).unlink(missing_ok=True)
    else:
        from tests.conftest import _autocommit

        name = f"cstui_bench_imap_{os.getpid()}"
        _autocommit(
            f"{PG_URL}/postgres", f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'
        )
        target = f"{PG_URL}/{name}"
    store = init_store(target)
    settings = dovecot.settings(user)  # type: ignore[attr-defined]
    channels = ChannelSettings()
    worker = MailboxWorker(store, settings, NoLock(), parser(channels, clock=lambda: START))

    class Cursorless:
        def mailbox_cursor(self, name: str) -> None:
            return None

        def save_mailbox_cursor(self, name: str, *, uidvalidity: int, last_uid: int) -> None:
            return None

    started = time.perf_counter()
    with imap.connect(settings, PASSWORD) as client:
        fetched = imap.poll(client, settings, Cursorless(), lambda raw: True)
    fetch_only = time.perf_counter() - started

    started = time.perf_counter()
    result = worker.poll_once()
    total = time.perf_counter() - started
    assert result is not None and result.ingested == count, result
    stored = worker.stored
    store.close()
    if backend != "sqlite":
        from tests.conftest import _autocommit

        _autocommit(f"{PG_URL}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "backend": backend,
        "messages": count,
        "fetched_only": fetched.ingested,
        "fetch_seconds": round(fetch_only, 2),
        "poll_seconds": round(total, 2),
        "per_second": round(count / total, 1),
        "new_stored": stored,
        "target_seconds": TARGET_SECONDS,
        "ok": total <= TARGET_SECONDS * count / 1000,
    }


def main() -> int:
    parser_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser_.add_argument("--messages", type=int, default=1000)
    parser_.add_argument("--backend", default="sqlite,postgres")
    args = parser_.parse_args()
    os.environ[PASSWORD_ENV] = PASSWORD
    raws = mails(args.messages)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="cstui-bench-imap-") as tmp,
        running_dovecot(Path(tmp)) as dovecot,
    ):
        for number, backend in enumerate(args.backend.split(",")):
            user = f"user{number}"
            started = time.perf_counter()
            fill(dovecot, user, raws)
            took = time.perf_counter() - started
            print(f"{backend}: delivered {len(raws)} mails in {took:.1f} s (not timed)")
            rows.append(run(backend, args.messages, dovecot, user, Path(tmp)))
    print()
    print(
        "| backend | messages | fetch only (s) | poll + parse + store (s) | messages/s | target |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        verdict = "ok" if r["ok"] else "MISSED"
        print(
            f"| {r['backend']} | {r['messages']} | {r['fetch_seconds']} | {r['poll_seconds']} "
            f"| {r['per_second']} | ≤ {TARGET_SECONDS} s per 1,000: {verdict} |"
        )
    out = ROOT / "bench" / "results" / "imap_poll.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
