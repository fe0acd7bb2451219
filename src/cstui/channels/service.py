"""The channel workers of a configuration, assembled: what `cstui channels run` and
`cstui serve` start.

Secrets are read here, once, at start: a missing one stops the start with one line naming
the setting (exit 2), instead of failing every delivery later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

from cstui.channel_config import ChannelSettings, SmtpSettings
from cstui.channels.locks import mailbox_lock
from cstui.channels.retry import RetryPolicy
from cstui.channels.smtp import Relay
from cstui.channels.worker import DeliveryWorker, MailboxWorker, Parse, Runner, Senders
from cstui.domain.channels import Attachment, Inbound, Outbound
from cstui.domain.model import Channel
from cstui.errors import BadInput

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore


def configured(channels: ChannelSettings) -> bool:
    """Whether there is anything for the workers to do."""
    return bool(
        channels.mailboxes
        or channels.smtp is not None
        or any(i.webhook_url for i in channels.intake.values())
    )


def build_runner(
    store: SqlStore,
    channels: ChannelSettings,
    *,
    clock: Callable[[], datetime],
    lang: str = "zh",
    only: str | None = None,
) -> Runner:
    """The delivery worker (when something can be sent) and a worker per mailbox (`only`:
    just that mailbox, and no deliveries)."""
    loops: list[Callable[[threading.Event], None]] = []
    names: list[str] = []
    if only is None:
        senders = senders_for(channels, clock=clock, lang=lang)
        if senders.channels:
            worker = DeliveryWorker(
                store,
                channels,
                senders,
                clock=clock,
                policy=policy_of(channels),
                lease=timedelta(seconds=channels.delivery_lease_seconds),
            )
            loops.append(worker.run)
            names.append("deliveries")
    parse = parser(channels, clock=clock)
    for mailbox in channels.mailboxes:
        if only is not None and mailbox.name != only:
            continue
        mailbox.password.value(f"channels.mailboxes.{mailbox.name}.password")  # fail fast
        lock = mailbox_lock(store.engine, mailbox.name)
        loops.append(MailboxWorker(store, mailbox, lock, parse).run)
        names.append(f"mailbox-{mailbox.name}")
    return Runner(loops, names)


def policy_of(channels: ChannelSettings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=channels.max_attempts,
        first=channels.retry_seconds,
        cap=max(channels.retry_max_seconds, channels.retry_seconds),
    )


def senders_for(channels: ChannelSettings, *, clock: Callable[[], datetime], lang: str) -> Senders:
    relay = relay_factory(channels.smtp) if channels.smtp is not None else None
    webhooks: dict[Channel, tuple[str, bytes]] = {}
    for name, intake in channels.intake.items():
        if intake.webhook_url:
            try:
                channel = Channel(name)
            except ValueError:
                raise BadInput(f"channels.intake.{name}: not a channel") from None
            secret = intake.secret.value(f"channels.intake.{name}.secret").encode()
            webhooks[channel] = (intake.webhook_url, secret)
    return Senders(
        relay=relay,
        compose=composer(channels),
        webhooks=webhooks,
        survey_body=survey_writer(channels, clock=clock, lang=lang),
    )


def relay_factory(smtp: SmtpSettings) -> Callable[[], Relay]:
    password = smtp.password.value("channels.smtp.password") if smtp.password else None
    if smtp.username and password is None:
        raise BadInput("channels.smtp.password: a username needs a password (env or file)")
    return lambda: Relay(smtp, password)


def parser(channels: ChannelSettings, *, clock: Callable[[], datetime]) -> Parse:
    def parse(raw: bytes) -> Inbound:
        from cstui.mail.parse import parse_message

        return parse_message(
            raw,
            tag_prefix=channels.ticket_tag_prefix,
            max_attachment_bytes=channels.attachment_max_bytes,
            now=clock(),
        )

    return parse


def composer(
    channels: ChannelSettings,
) -> Callable[[Outbound, Sequence[tuple[Attachment, bytes]]], EmailMessage]:
    def compose(
        outbound: Outbound, attachments: Sequence[tuple[Attachment, bytes]]
    ) -> EmailMessage:
        from cstui.mail.compose import build_reply

        return build_reply(
            outbound,
            from_addr=channels.address,
            from_name=channels.display_name,
            tag_prefix=channels.ticket_tag_prefix,
            attachments=list(attachments),
        )

    return compose


def survey_writer(
    channels: ChannelSettings, *, clock: Callable[[], datetime], lang: str
) -> Callable[[Outbound], str] | None:
    survey = channels.survey
    if not survey.enabled or survey.secret is None:
        return None
    secret = survey.secret.value("channels.survey.secret").encode()

    def write(outbound: Outbound) -> str:
        from cstui.domain.survey import make_token, survey_links, survey_text

        expires = clock() + timedelta(days=survey.valid_days)
        token = make_token(outbound.ticket_id, secret=secret, expires=expires)
        links = survey_links(survey.base_url, token)
        return survey_text(outbound.ticket_id, outbound.subject, links, lang)

    return write
