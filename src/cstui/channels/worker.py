"""The channel workers: the delivery loop and one loop per mailbox, in threads, until stopped.

Delivery: claim a few due deliveries with a lease, send each (mail through the relay, chat
through its webhook), mark it sent at once or failed with the time of its next attempt.
Exactly once, as far as a sender can make it: a delivery is only sent while its lease has
time left (so no other worker can hold it meanwhile), and it is marked sent right after the
relay took it, with the mark retried while the store is briefly unreachable. What remains is
a crash in the instant between the relay's "250 OK" and the mark's commit: the delivery is
sent again after its lease ends, with the same Message-ID (and Idempotency-Key on webhooks),
which lets the receiver drop the repeat. Nothing here can close that gap without losing
replies instead (marking before sending would drop the reply a crash interrupts).

Mailboxes: each runs only while this process holds its lock (`locks`); without it, a
standby tries again every `standby_seconds`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from cstui.channel_config import ChannelSettings, MailboxSettings
from cstui.channels import imap
from cstui.channels.locks import MailboxLock
from cstui.channels.outcome import DeliveryError, one_line
from cstui.channels.retry import RetryPolicy
from cstui.channels.smtp import Relay
from cstui.channels.webhook import WebhookSender, payload
from cstui.domain.channels import (
    Attachment,
    DeliveryKind,
    DeliveryState,
    Inbound,
    Outbound,
)
from cstui.domain.model import Channel
from cstui.errors import CstuiError, NotFound, Unavailable
from cstui.store.base import ChannelStore

log = logging.getLogger("cstui.channels")

CLAIM_BATCH = 10
LEASE = timedelta(minutes=5)
# Start no send with less than this left on its lease (a send's own timeouts fit in it),
# or with less than half the lease when the lease is shorter than twice this.
LEASE_MARGIN = timedelta(minutes=2)
IDLE_SECONDS = 2.0  # how often an empty queue is looked at again
STANDBY_SECONDS = 5.0  # how often a standby tries a mailbox's lock
MARK_SECONDS = 30.0  # how long a "sent" mark is retried while the store is unreachable


Compose = Callable[[Outbound, Sequence[tuple[Attachment, bytes]]], EmailMessage]
Parse = Callable[[bytes], Inbound]


@dataclass
class Senders:
    """How each channel's deliveries leave: mail through the relay (None: no SMTP
    configured), chat through its webhook (url, secret) per channel."""

    relay: Callable[[], Relay] | None
    compose: Compose
    webhooks: dict[Channel, tuple[str, bytes]] = field(default_factory=dict)
    survey_body: Callable[[Outbound], str] | None = None

    @property
    def channels(self) -> list[Channel]:
        found = [Channel.EMAIL] if self.relay is not None else []
        return found + sorted(self.webhooks)


class DeliveryWorker:
    """Claims due deliveries and sends them (see the module docstring)."""

    def __init__(
        self,
        store: ChannelStore,
        settings: ChannelSettings,
        senders: Senders,
        *,
        clock: Callable[[], datetime],
        policy: RetryPolicy,
        batch: int = CLAIM_BATCH,
        lease: timedelta = LEASE,
    ) -> None:
        self.store = store
        self.settings = settings
        self.senders = senders
        self.clock = clock
        self.policy = policy
        self.batch = batch
        self.lease = lease
        self._webhook = WebhookSender(clock=clock)

    def close(self) -> None:
        self._webhook.close()

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; an unreachable store or relay is waited out."""
        while not stop.is_set():
            try:
                busy = self.run_once(stop)
            except CstuiError as exc:
                log.warning("deliveries: %s", exc)
                busy = 0
            if not busy:
                stop.wait(IDLE_SECONDS)

    def run_once(self, stop: threading.Event | None = None) -> int:
        """One claim and its sends; how many deliveries were claimed."""
        channels = self.senders.channels
        if not channels:
            return 0
        claimed = self.store.claim_deliveries(channels=channels, limit=self.batch, lease=self.lease)
        if not claimed:
            return 0
        # Sends start only while the lease has LEASE_MARGIN left: the rest are claimed again
        # when it ends, and never by two workers at once.
        last_start = (
            time.monotonic() + (self.lease - min(LEASE_MARGIN, self.lease / 2)).total_seconds()
        )
        relay = self.senders.relay() if self.senders.relay is not None else None
        try:
            for outbound in claimed:
                if time.monotonic() > last_start or (stop is not None and stop.is_set()):
                    break
                self.deliver(outbound, relay)
        finally:
            if relay is not None:
                relay.close()
        return len(claimed)

    def deliver(self, outbound: Outbound, relay: Relay | None) -> None:
        try:
            self._send(outbound, relay)
        except DeliveryError as exc:
            self._failed(outbound, str(exc), permanent=exc.permanent)
            return
        self._mark_sent(outbound)
        log.info(
            "delivery %d sent (%s %s, ticket %d, attempt %d)",
            outbound.id,
            outbound.channel.value,
            outbound.kind.value,
            outbound.ticket_id,
            outbound.attempts,
        )

    def _send(self, outbound: Outbound, relay: Relay | None) -> None:
        try:
            attachments = [self.store.attachment(i) for i in outbound.attachment_ids]
        except NotFound as exc:  # gone since it was queued: sending without it would mislead
            raise DeliveryError(str(exc), permanent=True) from None
        outbound = self._with_body(outbound)
        if outbound.channel is Channel.EMAIL:
            if relay is None:
                raise DeliveryError("no SMTP relay is configured", permanent=False)
            try:
                message = self.senders.compose(outbound, attachments)
            except (ValueError, TypeError, LookupError) as exc:
                raise DeliveryError(
                    f"cannot compose: {one_line(str(exc))}", permanent=True
                ) from None
            relay.send(message, sender=self.settings.address, recipient=outbound.recipient)
            return
        target = self.senders.webhooks.get(outbound.channel)
        if target is None:
            raise DeliveryError(f"{outbound.channel.value}: no webhook_url", permanent=True)
        url, secret = target
        self._webhook.send(url, secret, outbound, payload(outbound, attachments))

    def _with_body(self, outbound: Outbound) -> Outbound:
        """A survey's text is written here: its signed links need the survey secret."""
        if outbound.kind is not DeliveryKind.SURVEY or outbound.body:
            return outbound
        if self.senders.survey_body is None:
            raise DeliveryError("survey: no survey secret is configured", permanent=True)
        return replace(outbound, body=self.senders.survey_body(outbound))

    def _failed(self, outbound: Outbound, reason: str, *, permanent: bool) -> None:
        retry_at = None if permanent else self.policy.retry_at(outbound.attempts, self.clock())
        if retry_at is None and not permanent:
            reason = f"{reason} (gave up after {outbound.attempts} attempts)"
        state = self.store.delivery_failed(outbound.id, error=reason, retry_at=retry_at)
        log.warning(
            "delivery %d %s (attempt %d): %s",
            outbound.id,
            "failed" if state is DeliveryState.FAILED else f"to retry at {retry_at:%H:%M:%S}",
            outbound.attempts,
            reason,
        )

    def _mark_sent(self, outbound: Outbound) -> None:
        """Mark it sent, retrying while the store is unreachable: every second this takes
        is a second in which a crash would send it twice."""
        retrying = Retrying(
            retry=retry_if_exception_type(Unavailable),
            wait=wait_exponential(multiplier=0.2, max=5),
            stop=stop_after_delay(MARK_SECONDS),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                self.store.delivery_sent(outbound.id)


class MailboxWorker:
    """Polls one mailbox while holding its lock; a standby otherwise."""

    def __init__(
        self,
        store: ChannelStore,
        mailbox: MailboxSettings,
        lock: MailboxLock,
        parse: Parse,
        *,
        standby_seconds: float = STANDBY_SECONDS,
    ) -> None:
        self.store = store
        self.mailbox = mailbox
        self.lock = lock
        self.parse = parse
        self.standby_seconds = standby_seconds
        self.polls = 0
        self.stored = 0  # new messages this worker stored

    def run(self, stop: threading.Event) -> None:
        name = self.mailbox.name
        holding = False
        try:
            while not stop.is_set():
                if not self.lock.acquire():
                    if holding:
                        log.warning("mailbox %s: lock lost: standing by", name)
                    holding = False
                    stop.wait(self.standby_seconds)
                    continue
                if not holding:
                    log.info("mailbox %s: this process polls it", name)
                    holding = True
                self.poll_once(stop)
                stop.wait(self.mailbox.poll_seconds)
        finally:
            self.lock.release()

    def poll_once(self, stop: threading.Event | None = None) -> imap.PollResult | None:
        name = self.mailbox.name

        def keep_going() -> bool:
            return (stop is None or not stop.is_set()) and self.lock.held()

        try:
            password = self.mailbox.password.value(f"channels.mailboxes.{name}.password")
            with imap.connect(self.mailbox, password) as client:
                result = imap.poll(
                    client,
                    self.mailbox,
                    self.store,
                    self._ingest,
                    keep_going=keep_going,
                    atomic=self.store.transaction,
                )
        except CstuiError as exc:
            log.warning("mailbox %s: %s", name, exc)
            return None
        self.polls += 1
        self.stored += result.new
        if result.ingested or result.skipped:
            log.info(
                "mailbox %s: %d messages fetched: %d new, %d already stored, %d skipped "
                "(UIDVALIDITY %d, last UID %d)",
                name,
                result.ingested,
                result.new,
                result.ingested - result.new,
                result.skipped,
                result.uidvalidity,
                result.last_uid,
            )
        return result

    def _ingest(self, raw: bytes) -> bool:
        return not self.store.ingest(self.parse(raw)).duplicate


class Runner:
    """The workers' threads: `start`, then `stop` (waits for each to finish its step)."""

    def __init__(self, loops: Sequence[Callable[[threading.Event], None]], names: Sequence[str]):
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._guarded(loop, name), name=f"cstui-{name}", daemon=True)
            for loop, name in zip(loops, names, strict=True)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 15.0) -> bool:
        """Ask every loop to stop and wait up to `timeout` in all; whether all stopped (a
        thread still in a network call is a daemon: it ends with the process)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def request_stop(self) -> None:
        """Ask the loops to stop (safe from a signal handler); `stop` waits for them."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stopped (True) or `timeout` passed (False)."""
        return self._stop.wait(timeout)

    def _guarded(self, loop: Callable[[threading.Event], None], name: str) -> Callable[[], None]:
        def run() -> None:
            # A bug in one loop must not end it silently: log it and start the loop again.
            while not self._stop.is_set():
                try:
                    loop(self._stop)
                except Exception:
                    log.exception(
                        "%s: unexpected error; restarting in %.0f s", name, STANDBY_SECONDS
                    )
                    self._stop.wait(STANDBY_SECONDS)

        return run
