"""Building customers' messages for the channel tests (what the parser or intake would hand
the store)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

from cstui.domain.channels import AutoKind, Inbound, NewAttachment
from cstui.domain.model import Channel
from cstui.domain.rules import ChannelPolicy, Rules
from cstui.store import SqlStore

_ids = itertools.count(1)


def mail(
    sender: str = "li.lei@example.cn",
    subject: str = "订单没到",
    text: str = "我的订单还没到，请帮忙查一下。",
    *,
    name: str = "李雷",
    references: tuple[str, ...] = (),
    auto: AutoKind = AutoKind.NONE,
    bounced_id: str | None = None,
    attachments: tuple[NewAttachment, ...] = (),
    external_id: str | None = None,
    channel: Channel = Channel.EMAIL,
    conversation_id: str | None = None,
) -> Inbound:
    return Inbound(
        channel=channel,
        external_id=external_id or f"<m{next(_ids)}@mail.example.cn>",
        sender_address=sender,
        sender_name=name,
        subject=subject,
        text=text,
        full_text=text + "\n\n-- \n李雷",
        received_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
        references=references,
        auto=auto,
        bounced_id=bounced_id,
        attachments=attachments,
        conversation_id=conversation_id,
    )


def chat(user: str, conversation: str, text: str, channel: Channel = Channel.CHAT) -> Inbound:
    return replace(
        mail(user, "", text, name="小王", channel=channel, conversation_id=conversation),
        external_id=f"chat-{next(_ids)}",
    )


def with_policy(store: SqlStore, **changes: object) -> None:
    """The store applies this channel policy from now on."""
    store.rules = replace(store.rules, channels=replace(ChannelPolicy(), **changes))


__all__ = ["Rules", "chat", "mail", "with_policy"]
