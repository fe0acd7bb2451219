"""`cstui demo --live`'s customer mail: raw RFC 5322 messages as customers' mail clients
write them, taken in by the same code as real mail (`cstui.mail.parse.parse_message`, then
the store's `ingest`), so the demo shows what a mailbox would bring: Chinese subjects as
encoded-words, base64 bodies, a phone photo now and then, replies quoting our mail with
In-Reply-To and References, and the "[#id]" tag.

The demo's customers have make-believe addresses, so their mailboxes are make-believe too:
`Mailboxes.collect` takes the mail the team queued for them (replies, surveys) off the
outbox and marks it sent, as a mail server would have accepted it; nothing leaves the
machine. The customers then answer some of it, in reply to our Message-ID.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from random import Random
from zoneinfo import ZoneInfo

from cstui.demo.mail import photos
from cstui.domain.channels import DeliveryKind, IngestOutcome, Outbound
from cstui.domain.model import Channel
from cstui.domain.rules import ChannelPolicy
from cstui.mail.parse import parse_message
from cstui.store.base import ChannelStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHOTO_SHARE = 0.25  # new mails with a photo of the goods
TAG_SHARE = 0.5  # follow-ups written with the ticket tag rather than as a reply
SURVEY_ANSWER_SHARE = 0.4  # surveys answered by mail (the others by the link, or never)
# (X-Mailer, the Message-ID's domain: None for the sender's own)
CLIENTS = (
    ("QQMail 2.x", "qq.com"),
    ("Foxmail 7.2.25.375[cn]", None),
    ("Coremail Webmail Server Version XT5.0.14", None),
    ("iPhone Mail (21B101)", None),
)
NEW_SENDERS = ("林晓雨", "赵磊", "陈思远", "王芳", "刘洋", "周婷", "黄俊杰", "吴敏")
PHOTO_LINES = ("照片在附件里，麻烦看一下。", "拍了照片，见附件。")
FOLLOW_UPS = (
    "收到，谢谢。请问大概什么时候能处理好？",
    "按你们说的试了，还是不行，怎么办？",
    "好的，那我等你们的消息。",
    "已经过去两天了，还没有进展吗？",
)
MAX_REMEMBERED = 200  # our mails the customers keep, the oldest forgotten first


@dataclass(frozen=True)
class Mail:
    """One customer mail, before it is written out."""

    sender_name: str
    sender: str
    subject: str
    body: str
    date: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    photo: bytes | None = None
    client: int = 0  # which of CLIENTS wrote it


def message_id(sender: str, client: int) -> str:
    """A new Message-ID as the client makes them (unique across runs of the demo: a
    redelivered id would be stored once, so a second run must not repeat the first's)."""
    domain = CLIENTS[client % len(CLIENTS)][1] or sender.rpartition("@")[2] or "mail.invalid"
    token = secrets.token_hex(12)
    return f"<tencent_{token.upper()}@qq.com>" if domain == "qq.com" else f"<{token}@{domain}>"


def compose(mail: Mail, *, to: str) -> bytes:
    """The mail as its client would send it (CRLF line ends, UTF-8, base64)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=mail.sender_name, addr_spec=mail.sender)
    msg["To"] = to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.date.astimezone(SHANGHAI))
    msg["Message-ID"] = message_id(mail.sender, mail.client)
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
        msg["References"] = " ".join((*mail.references, mail.in_reply_to))
    msg["X-Mailer"] = CLIENTS[mail.client % len(CLIENTS)][0]
    msg.set_content(mail.body, charset="utf-8", cte="base64")
    if mail.photo is not None:
        taken = mail.date.astimezone(SHANGHAI) - timedelta(minutes=12)
        name = f"IMG_{taken:%Y%m%d_%H%M%S}.jpg"
        msg.add_attachment(mail.photo, maintype="image", subtype="jpeg", filename=name)
    return msg.as_bytes()


def quoted(reply: str, ours: Outbound, when: datetime, team: str) -> str:
    """A reply above our mail, quoted as Chinese mail clients quote it."""
    sent = when.astimezone(SHANGHAI) - timedelta(hours=1)
    lines = "\n".join(f"> {line}" for line in ours.body.splitlines())
    return f"{reply}\n\n在 {sent:%Y年%m月%d日 %H:%M}，{team} 写道：\n{lines}\n"


class Mailboxes:
    """The demo customers' side of the mail: our mail they received (by ticket), their new
    mail and their answers, each taken in as real mail is."""

    def __init__(
        self, store: ChannelStore, policy: ChannelPolicy, clock: Callable[[], datetime], rng: Random
    ) -> None:
        self.store, self.policy, self.clock, self.rng = store, policy, clock, rng
        self.received: dict[int, Outbound] = {}  # ticket -> our latest mail about it

    def collect(self) -> int:
        """Take the mail queued for the customers: accepted (sent) and kept to answer."""
        taken = self.store.claim_deliveries(
            channels=(Channel.EMAIL,), limit=50, lease=timedelta(minutes=1)
        )
        for ours in taken:
            self.store.delivery_sent(ours.id)
            self.received.pop(ours.ticket_id, None)
            self.received[ours.ticket_id] = ours
            if ours.kind is DeliveryKind.SURVEY and self.rng.random() < SURVEY_ANSWER_SHARE:
                self.deliver(self.rate(ours))
        while len(self.received) > MAX_REMEMBERED:
            del self.received[next(iter(self.received))]
        return len(taken)

    def deliver(self, mail: Mail) -> IngestOutcome:
        """Write the mail out to the team's address and take it in as a mailbox's mail is:
        parsed, then ingested."""
        policy = self.policy
        raw = compose(mail, to=policy.address)
        inbound = parse_message(
            raw,
            tag_prefix=policy.tag_prefix,
            max_attachment_bytes=policy.attachment_max_bytes,
            now=mail.date,
        )
        return self.store.ingest(inbound)

    def new_mail(self, name: str, address: str, subject: str, body: str) -> Mail:
        """A customer's first mail about something, now and then with a photo."""
        rng, now = self.rng, self.clock()
        photo = None
        if rng.random() < PHOTO_SHARE:
            pictures = photos()
            photo = pictures[int(rng.random() * len(pictures))]
            body = f"{body}\n\n{rng.choice(PHOTO_LINES)}"
        client = int(rng.random() * len(CLIENTS))
        return Mail(name, address, subject, body, now, photo=photo, client=client)

    def answer(self, ticket_id: int, name: str, address: str, subject: str) -> Mail:
        """A customer writing again about a ticket: in reply to our last mail about it when
        they have one (threaded by In-Reply-To), else with the ticket tag in the subject."""
        rng, policy, now = self.rng, self.policy, self.clock()
        text = rng.choice(FOLLOW_UPS)
        client = int(rng.random() * len(CLIENTS))
        ours = self.received.get(ticket_id)
        if ours is not None and rng.random() >= TAG_SHARE:
            body = quoted(text, ours, now, f"{policy.display_name} <{policy.address}>")
            return Mail(
                name,
                address,
                f"回复：{ours.subject}",
                body,
                now,
                in_reply_to=ours.external_id,
                references=ours.references,
                client=client,
            )
        tagged = f"回复：[{policy.tag_prefix}{ticket_id}] {subject}"
        return Mail(name, address, tagged, text, now, client=client)

    def rate(self, survey: Outbound) -> Mail:
        """An answer to our survey: a digit, as the survey asks, in reply to it."""
        score = self.rng.choices("54321", weights=(62, 28, 6, 2, 2))[0]
        return Mail(
            survey.recipient_name,
            survey.recipient,
            f"回复：{survey.subject}",
            f"{score}\n",
            self.clock(),
            in_reply_to=survey.external_id,
            references=survey.references,
        )

    def new_sender(self) -> tuple[str, str]:
        """Someone who never wrote before: a name and a QQ Mail address."""
        rng = self.rng
        return rng.choice(NEW_SENDERS), f"{rng.randrange(10**8, 10**10)}@qq.com"
