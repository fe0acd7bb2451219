"""`cstui mail ingest` of a 10,000-message mbox: messages a second, and every threading
decision against the one the generator expects.

Why: a team moving its support mailbox to cstui, or an MTA catching up after an outage,
pipes thousands of mails at once; the target is ≥ 200 messages/s parsed, threaded and
stored (10,000 in ≤ 60 s) on this 2-core machine, with no decision wrong.

The mbox is generated (seeded, reproducible) as a real mailbox mixes:

  new        a new request (a new sender, or a known one with a new subject)
  tag        a reply carrying "[#N]" of the sender's ticket (Re:/回复:/答复: in front)
  reference  a reply whose In-Reply-To / References name the sender's earlier mail
  subject    the same sender, the same subject with a reply prefix, no tag, no ids
  foreign    a tag naming another customer's ticket: a new ticket linked to it
  duplicate  a message delivered again (the same Message-ID)
  auto       an out-of-office answering a customer's own mail (threads by reference)

About a fifth are GBK (declared gb2312 or gbk, base64 or 8bit), a quarter UTF-8 base64,
HTML alternatives now and then, 1 in 20 with a JPEG or PDF attachment (8–60 KB).

    python bench/mail_ingest.py [--messages 10000] [--batch 1] [--db PATH] [--profile]

`cstui mail ingest --json` runs as a subprocess on a fresh SQLite store (`cstui init`),
its lines are checked one by one; `--profile` runs it under cProfile and prints the top.
Results: `bench/results/mail_ingest.json`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "mail_ingest.json"
TARGET_PER_SECOND = 200.0

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
TOPICS = ["订单没到", "退款进度", "发票抬头", "尺码不合适", "商品破损", "地址修改", "物流不更新",
          "优惠券无法使用", "换货申请", "配件缺失"]
PREFIXES = ["Re: ", "回复：", "答复: ", "RE: ", "回复: Re: "]
MIX = [("new", 36), ("tag", 16), ("reference", 16), ("subject", 14), ("foreign", 3),
       ("duplicate", 6), ("auto", 4)]


@dataclass
class Ticket:
    id: int
    sender: str
    subject: str
    message_ids: list[str] = field(default_factory=list)


@dataclass
class Expected:
    decision: str
    ticket_id: int | None  # the ticket it went to (new: the id it opens)
    linked_to: int | None = None


@dataclass
class Corpus:
    rng: random.Random
    when: datetime
    mails: list[bytes] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    by_sender: dict[str, list[Ticket]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)  # message id -> ticket
    raws: list[tuple[bytes, int]] = field(default_factory=list)  # (mail, ticket) to resend
    senders: int = 0
    photo: bytes = b""

    # -- what to write ----------------------------------------------------------------------

    def add(self, kind: str) -> None:
        if kind != "new" and not self.tickets:
            kind = "new"
        getattr(self, f"_{kind}")()

    def _new(self) -> None:
        sender = self._sender()
        n = len(self.tickets) + 1
        subject = f"{self.rng.choice(TOPICS)} 订单{100000 + n}"
        ticket = Ticket(n, sender, subject)
        self.tickets.append(ticket)
        self.by_sender.setdefault(sender, []).append(ticket)
        self._emit(ticket, sender, subject, Expected("new", n))

    def _sender(self) -> str:
        known = [s for s in self.by_sender if len(self.by_sender[s]) < 4]
        if known and self.rng.random() < 0.25:
            return self.rng.choice(known)
        self.senders += 1
        return f"customer{self.senders}@{self.rng.choice(['qq.com', '163.com', 'example.cn'])}"

    def _pick(self) -> Ticket:
        return self.tickets[-1 - int(self.rng.expovariate(1 / 40)) % len(self.tickets)]

    def _tag(self) -> None:
        t = self._pick()
        # as our replies carry it: the ticket's subject, our tag at the end
        subject = f"{self.rng.choice(PREFIXES)}{t.subject} [#{t.id}]"
        self._emit(t, t.sender, subject, Expected("append", t.id))

    def _reference(self) -> None:
        t = self._pick()
        refs = t.message_ids[-3:]
        subject = f"{self.rng.choice(PREFIXES)}{self.rng.choice(TOPICS)}"  # another subject
        self._emit(t, t.sender, subject, Expected("append", t.id), refs=refs)

    def _subject(self) -> None:
        t = self._pick()
        subject = f"{self.rng.choice(PREFIXES)}{t.subject}"
        self._emit(t, t.sender.upper() if self.rng.random() < 0.2 else t.sender, subject,
                   Expected("append", t.id))

    def _foreign(self) -> None:
        victim = self._pick()
        sender = self._sender()
        n = len(self.tickets) + 1
        subject = f"Re: [#{victim.id}] 我也有问题 {n}"
        ticket = Ticket(n, sender, f"我也有问题 {n}")  # the subject the ticket keeps
        self.tickets.append(ticket)
        self.by_sender.setdefault(sender, []).append(ticket)
        self._emit(ticket, sender, subject, Expected("new_linked", n, linked_to=victim.id))

    def _duplicate(self) -> None:
        raw, ticket_id = self.rng.choice(self.raws[-200:])
        self.mails.append(raw)
        self.expected.append(Expected("duplicate", ticket_id))

    def _auto(self) -> None:
        t = self._pick()
        subject = f"自动回复: {t.subject}"
        self._emit(t, t.sender, subject, Expected("append", t.id), refs=t.message_ids[-1:],
                   auto=True)

    # -- the bytes ----------------------------------------------------------------------------

    def _emit(
        self,
        ticket: Ticket,
        sender: str,
        subject: str,
        expected: Expected,
        *,
        refs: list[str] = (),  # type: ignore[assignment]
        auto: bool = False,
    ) -> None:
        number = len(self.mails) + 1
        message_id = f"<bench.{number}.{self.rng.getrandbits(40):x}@{sender.split('@')[1]}>"
        name = self.rng.choice(SURNAMES) + self.rng.choice("伟芳娜敏静丽强磊军洋")
        body = (f"您好，{subject}。我的订单号是 {100000 + ticket.id}，请尽快处理。\n"
                "谢谢！\n\n-- \n" + name + "\n")
        if refs:
            body += "\n> 您好，已收到您的问题。\n> 客服\n"
        raw = self._render(message_id, sender, name, subject, body, refs, auto)
        ticket.message_ids.append(message_id)
        self.ids[message_id] = ticket.id
        self.mails.append(raw)
        self.raws.append((raw, ticket.id))
        self.expected.append(expected)

    def _render(self, message_id: str, sender: str, name: str, subject: str, body: str,
                refs: list[str], auto: bool) -> bytes:
        roll = self.rng.random()
        charset = "gbk" if roll < 0.2 else "utf-8"
        encoded_name = _word(name, charset)
        head = [
            f"From: {encoded_name} <{sender}>",
            "To: 客服 <support@shop.example.cn>".encode().decode("ascii", "ignore")
            and "To: support@shop.example.cn",
            f"Subject: {_word(subject, charset)}",
            f"Date: {format_datetime(self.when)}",
            f"Message-ID: {message_id}",
            "MIME-Version: 1.0",
        ]
        if refs:
            head += [f"In-Reply-To: {refs[-1]}", f"References: {' '.join(refs)}"]
        if auto:
            head += ["Auto-Submitted: auto-replied", "X-Autoreply: yes"]
        text_part = _text_part(body, charset, self.rng.random() < 0.5)
        if self.rng.random() < 0.05:
            out = _multipart(head, text_part, self._attachment())
        elif self.rng.random() < 0.08:
            html = f"<html><body><p>{body.replace(chr(10), '<br>')}</p></body></html>"
            out = _alternative(head, text_part, _html_part(html))
        else:
            out = "\n".join(head).encode() + b"\n" + text_part
        return out

    def _attachment(self) -> bytes:
        if self.rng.random() < 0.5:
            data = self.photo + os.urandom(self.rng.randint(8_000, 60_000))
            kind, fname = "image/jpeg", "破损照片.jpg"
        else:
            data = b"%PDF-1.4\n" + os.urandom(self.rng.randint(8_000, 40_000))
            kind, fname = "application/pdf", "receipt.pdf"
        b64 = base64.encodebytes(data).decode()
        return (
            f'Content-Type: {kind}; name="{_word(fname, "utf-8")}"\n'
            f'Content-Disposition: attachment; filename="{_word(fname, "utf-8")}"\n'
            "Content-Transfer-Encoding: base64\n\n" + b64
        ).encode()


def _word(text: str, charset: str) -> str:
    if text.isascii():
        return text
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def _text_part(body: str, charset: str, b64: bool) -> bytes:
    declared = "gb2312" if charset == "gbk" else charset  # GBK mail says gb2312 as often as not
    if b64:
        return (f"Content-Type: text/plain; charset={declared}\n"
                "Content-Transfer-Encoding: base64\n\n").encode() + base64.encodebytes(
            body.encode(charset))
    return (f"Content-Type: text/plain; charset={declared}\n"
            "Content-Transfer-Encoding: 8bit\n\n").encode() + body.encode(charset)


def _html_part(html: str) -> bytes:
    return (b"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
            + base64.encodebytes(html.encode()))


def _multipart(head: list[str], *parts: bytes, subtype: str = "mixed") -> bytes:
    boundary = f"=_b{random.getrandbits(48):x}"
    out = "\n".join([*head, f'Content-Type: multipart/{subtype}; boundary="{boundary}"']).encode()
    out += b"\n\n"
    for part in parts:
        out += f"--{boundary}\n".encode() + part + b"\n"
    return out + f"--{boundary}--\n".encode()


def _alternative(head: list[str], *parts: bytes) -> bytes:
    return _multipart(head, *parts, subtype="alternative")


def build(n: int, seed: int) -> Corpus:
    corpus = Corpus(random.Random(seed), datetime(2026, 11, 20, 1, 0, tzinfo=UTC))
    corpus.photo = (ROOT / "fixtures" / "mail" / "parts" / "photo.jpg").read_bytes()
    kinds = [k for k, w in MIX for _ in range(w)]
    while len(corpus.mails) < n:
        corpus.add(corpus.rng.choice(kinds))
    return corpus


def write_mbox(corpus: Corpus, path: Path) -> None:
    with path.open("wb") as out:
        for raw in corpus.mails:
            raw = raw if raw.endswith(b"\n") else raw + b"\n"
            out.write(b"From bench@example.cn Fri Nov 20 01:00:00 2026\n")
            out.write(b"\n".join(b">" + line if line.startswith(b"From ") else line
                                 for line in raw.split(b"\n")))
            out.write(b"\n")


def cstui(*args: str, db: Path, profile: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "CSTUI_DB": str(db), "PYTHONPATH": str(ROOT / "src")}
    env.pop("CSTUI_NOW", None)
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", str(profile)]
    prefix += ["-m", "cstui"] if profile is None else [str(ROOT / "src" / "cstui" / "__main__.py")]
    return subprocess.run([*prefix, *args], capture_output=True, env=env, check=False)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# The contract's action for each threading decision (`--json`'s "action").
ACTIONS = {"new": "created", "new_linked": "created", "append": "threaded", "reopen": "reopened",
           "duplicate": "duplicate", "bounce": "ignored"}


def check(corpus: Corpus, lines: list[dict[str, Any]]) -> list[str]:
    """Every line against the expected decision; the first few differences, described."""
    wrong = []
    if len(lines) != len(corpus.expected):
        wrong.append(f"{len(lines)} lines for {len(corpus.expected)} messages")
    for i, (line, want) in enumerate(zip(lines, corpus.expected, strict=False), start=1):
        got = (line.get("decision"), line.get("action"), line.get("ticket_id"),
               line.get("linked_to"))
        expected = (want.decision, ACTIONS[want.decision], want.ticket_id, want.linked_to)
        if got != expected or not line.get("reason"):
            wrong.append(f"message {i}: got {got}, expected {expected}")
    return wrong


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cstui-mail-bench-"))
    db = args.db or work / "mail.db"
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    corpus = build(args.messages, args.seed)
    mbox = work / "bench.mbox"
    write_mbox(corpus, mbox)
    generated = time.perf_counter() - started
    init = cstui("init", db=db)
    if init.returncode != 0:
        sys.exit(init.stderr.decode())
    profile = work / "ingest.prof" if args.profile else None
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    run = cstui("mail", "ingest", str(mbox), "--json", "--batch", str(args.batch), db=db,
                profile=profile)
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0
    load = os.getloadavg()[0]
    if run.returncode != 0:
        print(run.stderr.decode()[-2000:], file=sys.stderr)
    lines = json.loads(run.stdout)["items"] if run.stdout.strip() else []
    wrong = check(corpus, lines)
    rate = len(lines) / wall if wall else 0.0
    kinds: dict[str, int] = {}
    for e in corpus.expected:
        kinds[e.decision] = kinds.get(e.decision, 0) + 1
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, {platform.python_implementation()} "
                   f"{platform.python_version()}",
        "messages": len(corpus.mails),
        "mbox_bytes": mbox.stat().st_size,
        "decisions": kinds,
        "batch": args.batch,
        "generate_seconds": round(generated, 2),
        "ingest_seconds": round(wall, 2),
        "messages_per_second": round(rate, 1),
        "cpu_seconds": round(cpu, 2),
        "messages_per_cpu_second": round(len(lines) / cpu, 1) if cpu else None,
        "load_average_after": round(load, 2),
        "target_per_second": TARGET_PER_SECOND,
        "exit_code": run.returncode,
        "wrong_decisions": len(wrong),
        "first_wrong": wrong[:10],
        "db_bytes": db.stat().st_size,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print("| messages | batch | ingest (wall) | msgs/s | CPU | msgs/CPU-s | target | wrong | exit "
          "| load |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    per_cpu = len(lines) / cpu if cpu else 0.0
    print(f"| {result['messages']:,} | {args.batch} | {wall:.1f} s | **{rate:.0f}** | {cpu:.1f} s "
          f"| {per_cpu:.0f} | ≥ {TARGET_PER_SECOND:.0f} | {len(wrong)} | {run.returncode} "
          f"| {load:.1f} |")
    print(f"\ndecisions: {kinds}; mbox {result['mbox_bytes'] / 1e6:.1f} MB, "
          f"store {result['db_bytes'] / 1e6:.1f} MB")
    for w in wrong[:10]:
        print("  wrong:", w)
    if profile is not None:
        import pstats

        pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(40)
    ok = not wrong and run.returncode == 0 and rate >= TARGET_PER_SECOND
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
