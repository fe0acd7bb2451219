"""Mail parsing throughput: a 10,000-message mbox split and parsed, no store.

The ingest bench (`mail_ingest.py`) measures the whole path to the database against the
issue's ≥ 200 messages/s; this one isolates the parser's share of it, for two mboxes:

| case | what each message is |
| --- | --- |
| simple | a short UTF-8 plain-text mail with a Chinese subject, as most customer mail is |
| corpus | the mails of `fixtures/mail/` in turn (GBK, Big5, HTML, quoting, attachments, bounces) |

Each case reports the split alone (`iter_messages`) and split + `parse_message`, best of
`--repeat` runs (the machine is shared: the best run is the one least disturbed).

Usage: `python bench/mail_parse.py [--messages 10000] [--repeat 3]`.
Prints a markdown table, writes `bench/results/mail_parse.json` (or `--out`).
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cstui.mail.mbox import iter_messages
from cstui.mail.parse import parse_message

HERE = Path(__file__).parent
CORPUS = HERE.parent / "fixtures" / "mail"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def _simple(n: int) -> bytes:
    return (
        f"From: =?utf-8?B?6aG+5a6i?= <customer{n % 500}@example.cn>\r\n"
        "To: support@shop.example.cn\r\n"
        f"Subject: =?utf-8?B?6K6i5Y2V?= {n}\r\n"
        f"Date: Mon, 5 Jan 2026 09:{n % 60:02d}:00 +0800\r\n"
        f"Message-ID: <bench-{n}@example.cn>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"您好，我的订单 2026{n:08d} 还没有发货，请帮忙看一下。\r\n谢谢！\r\n"
    ).encode()


def _mbox(messages: list[bytes]) -> bytes:
    out = io.BytesIO()
    for raw in messages:
        out.write(b"From bench@example.cn Mon Jan  5 09:00:00 2026\n")
        out.write(_FROM_LINE.sub(rb">\1", raw.replace(b"\r\n", b"\n")))
        out.write(b"\n" if raw.endswith(b"\n") else b"\n\n")
    return out.getvalue()


def _corpus(count: int) -> list[bytes]:
    files = sorted(p for p in CORPUS.glob("*.eml") if p.stat().st_size < 65536)
    mails = [p.read_bytes() for p in files]
    return [mails[i % len(mails)] for i in range(count)]


def _best(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - started)
    return best, count


def _case(data: bytes, repeat: int) -> dict[str, float]:
    def split() -> int:
        return sum(1 for _ in iter_messages(io.BytesIO(data)))

    def parse() -> int:
        return sum(1 for raw in iter_messages(io.BytesIO(data)) if parse_message(raw, now=NOW))

    split_s, count = _best(split, repeat)
    parse_s, parsed = _best(parse, repeat)
    assert count == parsed
    return {
        "messages": count,
        "mbox_bytes": len(data),
        "split_s": round(split_s, 3),
        "split_per_s": round(count / split_s),
        "parse_s": round(parse_s, 3),
        "parse_per_s": round(count / parse_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "mail_parse.json")
    args = parser.parse_args()
    cases = {
        "simple": _mbox([_simple(n) for n in range(args.messages)]),
        "corpus": _mbox(_corpus(args.messages)),
    }
    results = {name: _case(data, args.repeat) for name, data in cases.items()}
    print("| case | messages | MB | split msgs/s | split + parse msgs/s | parse s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        print(
            f"| {name} | {r['messages']} | {r['mbox_bytes'] / 1e6:.1f} | {r['split_per_s']} "
            f"| {r['parse_per_s']} | {r['parse_s']} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    document = {"python": platform.python_version(), "repeat": args.repeat, "cases": results}
    args.out.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
