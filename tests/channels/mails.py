"""Raw customer mails for the channel tests."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def customer_mail(n: int, *, sender: str = "buyer@example.cn", subject: str | None = None) -> bytes:
    """A plain customer message with a unique Message-ID (<n.…@example.cn>)."""
    m = EmailMessage()
    m["From"] = f"买家 {n} <{sender}>"
    m["To"] = "support@shop.example"
    m["Subject"] = subject or f"订单 {1000 + n} 还没到"
    m["Date"] = format_datetime(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    m["Message-ID"] = message_id(n)
    m.set_content(f"你好，我的订单 {1000 + n} 还没到，请帮忙查一下。\n")
    return bytes(m)


def message_id(n: int) -> str:
    return f"<{n}.customer@example.cn>"


def new_message_id() -> str:
    return make_msgid(domain="example.cn")
