"""The IMAP poller against a real Dovecot: new mail handed over once, resuming from the
cursor, a new UIDVALIDITY read again from the start, TLS / STARTTLS / refused logins.

The store here is a recorder of what the poller hands it (the poller's side of the
contract); the store's own dedupe is tested with the real store in test_workers.py."""

from __future__ import annotations

import email
import email.policy

import pytest

from cstui.channels import imap
from cstui.errors import PermissionDenied, Unavailable

from .conftest import PASSWORD, Dovecot
from .mails import customer_mail, message_id


class Recorder:
    """Cursor in memory; every message handed over, by Message-ID."""

    def __init__(self) -> None:
        self.cursors: dict[str, tuple[int, int]] = {}
        self.handed: list[str] = []

    def mailbox_cursor(self, name: str) -> tuple[int, int] | None:
        return self.cursors.get(name)

    def save_mailbox_cursor(self, name: str, *, uidvalidity: int, last_uid: int) -> None:
        self.cursors[name] = (uidvalidity, last_uid)

    def ingest(self, raw: bytes) -> bool:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.handed.append(str(parsed["Message-ID"]))
        return True


def poll(dovecot: Dovecot, user: str, store: Recorder, **options: object) -> imap.PollResult:
    settings = dovecot.settings(user, **options)  # type: ignore[arg-type]
    with imap.connect(settings, PASSWORD) as client:
        return imap.poll(client, settings, store, store.ingest)


def test_new_mail_is_handed_over_once_and_the_next_poll_resumes(
    dovecot: Dovecot, mailbox_user: str
) -> None:
    store = Recorder()
    dovecot.deliver(mailbox_user, [customer_mail(n) for n in range(3)])
    first = poll(dovecot, mailbox_user, store)
    assert store.handed == [message_id(n) for n in range(3)]
    assert (first.ingested, first.last_uid, first.restarted) == (3, 3, False)

    # A new connection (a restarted worker) with the same cursor: nothing again.
    assert poll(dovecot, mailbox_user, store).ingested == 0
    dovecot.deliver(mailbox_user, [customer_mail(n) for n in range(3, 5)])
    later = poll(dovecot, mailbox_user, store, security="starttls")
    assert later.ingested == 2
    assert store.handed == [message_id(n) for n in range(5)]
    assert store.cursors[mailbox_user] == (first.uidvalidity, 5)


def test_batches_move_the_cursor_and_a_crash_mid_poll_resumes_after_the_last_batch(
    dovecot: Dovecot, mailbox_user: str
) -> None:
    store = Recorder()
    dovecot.deliver(mailbox_user, [customer_mail(n) for n in range(7)])
    settings = dovecot.settings(mailbox_user)

    def crash_on_fifth(raw: bytes) -> bool:
        if len(store.handed) == 4:
            raise Unavailable("store: gone")  # the store dies in the middle of batch 3
        return store.ingest(raw)

    with imap.connect(settings, PASSWORD) as client, pytest.raises(Unavailable):
        imap.poll(client, settings, store, crash_on_fifth, batch_messages=2)
    assert store.cursors[mailbox_user][1] == 4  # two whole batches
    poll(dovecot, mailbox_user, store)
    # The fifth is handed over again (the store dedupes it); nothing before it is.
    assert store.handed == [message_id(n) for n in range(4)] + [message_id(n) for n in range(4, 7)]


def test_a_new_uidvalidity_reads_the_folder_again_from_its_start(
    dovecot: Dovecot, mailbox_user: str
) -> None:
    store = Recorder()
    dovecot.deliver(mailbox_user, [customer_mail(n) for n in range(2)])
    before = poll(dovecot, mailbox_user, store)
    dovecot.set_uidvalidity(mailbox_user, before.uidvalidity + 17)
    dovecot.deliver(mailbox_user, [customer_mail(2)])
    after = poll(dovecot, mailbox_user, store)
    assert after.restarted and after.uidvalidity == before.uidvalidity + 17
    # Everything again: the store's dedupe by Message-ID keeps the first two once.
    assert store.handed == [message_id(n) for n in (0, 1, 0, 1, 2)]
    assert store.cursors[mailbox_user] == (before.uidvalidity + 17, 3)


def test_status_counts_what_waits_after_the_cursor(dovecot: Dovecot, mailbox_user: str) -> None:
    dovecot.deliver(mailbox_user, [customer_mail(n) for n in range(4)])
    settings = dovecot.settings(mailbox_user, security="starttls")
    with imap.connect(settings, PASSWORD) as client:
        fresh = imap.status(client, settings, None)
        assert (fresh.messages, fresh.waiting) == (4, 4)
        later = imap.status(client, settings, (fresh.uidvalidity, 3))
        assert later.waiting == 1
        stale = imap.status(client, settings, (fresh.uidvalidity + 1, 3))
        assert stale.waiting == 4


def test_a_wrong_password_is_refused_by_name_and_an_untrusted_certificate_unreachable(
    dovecot: Dovecot, mailbox_user: str
) -> None:
    settings = dovecot.settings(mailbox_user)
    refused = pytest.raises(PermissionDenied, match=f"login refused for {mailbox_user}")
    with refused, imap.connect(settings, "wrong"):
        pass
    untrusted = settings.model_copy(update={"ca_file": None})
    with pytest.raises(Unavailable, match="not trusted"), imap.connect(untrusted, PASSWORD):
        pass
    closed = settings.model_copy(update={"port": 1})
    with pytest.raises(Unavailable, match="refused"), imap.connect(closed, PASSWORD):
        pass


def test_batches_are_bounded_in_count_and_bytes() -> None:
    sizes = {1: 10, 2: 10, 3: 100, 4: 5, 5: 5, 6: 5}
    assert list(imap.batches(sizes, 2, 1000)) == [[1, 2], [3, 4], [5, 6]]
    assert list(imap.batches(sizes, 10, 25)) == [[1, 2], [3], [4, 5, 6]]
