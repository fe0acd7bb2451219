"""Polling one IMAP mailbox: every message new since the last poll goes to the store once.

Where a mailbox is is the store's cursor, (UIDVALIDITY, last UID ingested). A poll asks for
the UIDs after it, fetches them in batches (bounded in count and in bytes, so a folder of
large attachments does not have to fit in memory at once) with BODY.PEEK[] (nothing is
marked read or moved: the mailbox stays as the team left it) and hands each message to
`ingest`; the cursor moves after its batch is stored. A crash between the two re-fetches the
batch, and the store's dedupe by Message-ID stores nothing twice. A new UIDVALIDITY means the
server renumbered the folder: the poll starts again from its first message and relies on
that same dedupe.

The first poll of a mailbox takes everything in the folder.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from typing import Protocol

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from cstui.channel_config import MailboxSettings
from cstui.channels.outcome import one_line
from cstui.channels.tls import client_context
from cstui.errors import CstuiError, PermissionDenied, Unavailable

log = logging.getLogger("cstui.channels.imap")

BATCH_MESSAGES = 100  # also what one transaction stores (a SQLite writer waits that long)
BATCH_BYTES = 32 * 1024 * 1024
TIMEOUT_SECONDS = 60.0
SIZE_CHUNK = 1000  # UIDs in one FETCH of sizes


class CursorStore(Protocol):
    """The part of the store a poll moves through the mailbox with."""

    def mailbox_cursor(self, name: str) -> tuple[int, int] | None: ...

    def save_mailbox_cursor(self, name: str, *, uidvalidity: int, last_uid: int) -> None: ...


# Store one raw message (parse it, ingest it): True when it was new, False when the store had
# it already. It may raise: see `poll`.
Ingest = Callable[[bytes], bool]


@dataclass(frozen=True, slots=True)
class PollResult:
    uidvalidity: int
    last_uid: int
    ingested: int  # messages handed to the store (duplicates included)
    new: int  # of which the store had not seen before
    skipped: int  # messages that could not be stored (logged; left in the mailbox)
    restarted: bool  # the UIDVALIDITY changed: the folder was read again from its start


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    """What `cstui channels check` reports of a mailbox."""

    name: str
    folder: str
    uidvalidity: int
    messages: int  # in the folder
    waiting: int  # after the cursor: what the next poll would fetch


@contextmanager
def connect(
    settings: MailboxSettings, password: str, *, timeout: float = TIMEOUT_SECONDS
) -> Iterator[imapclient.IMAPClient]:
    """A logged-in connection to the mailbox's server, logged out on leaving.

    Unavailable when the server cannot be reached or TLS fails, PermissionDenied when the
    login is refused (the message names the mailbox, never the password)."""
    where = f"mailbox {settings.name} ({settings.host}:{settings.port})"
    context = client_context(settings.ca_file, what=f"channels.mailboxes.{settings.name}")
    try:
        client = imapclient.IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.security == "tls",
            ssl_context=context,
            timeout=timeout,
        )
    except (OSError, IMAPClientError) as exc:
        raise Unavailable(f"{where}: {_reason(exc)}") from None
    try:
        try:
            if settings.security == "starttls":
                client.starttls(context)
            _login(client, settings.username, password)
        except LoginError:
            raise PermissionDenied(f"{where}: login refused for {settings.username}") from None
        except (OSError, IMAPClientError) as exc:
            raise Unavailable(f"{where}: {_reason(exc)}") from None
        yield client
    finally:
        _close(client)


def status(
    client: imapclient.IMAPClient, settings: MailboxSettings, cursor: tuple[int, int] | None
) -> MailboxStatus:
    """The folder's UIDVALIDITY, its count of messages, and how many are after `cursor`."""
    try:
        selected = client.select_folder(settings.folder, readonly=True)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        start = _start(cursor, uidvalidity)
        waiting = len(_new_uids(client, start)) if _may_have_new(selected, start) else 0
    except (OSError, IMAPClientError) as exc:
        raise Unavailable(f"mailbox {settings.name}: {settings.folder}: {_reason(exc)}") from None
    return MailboxStatus(
        settings.name, settings.folder, uidvalidity, int(selected[b"EXISTS"]), waiting
    )


def poll(
    client: imapclient.IMAPClient,
    settings: MailboxSettings,
    store: CursorStore,
    ingest: Ingest,
    *,
    keep_going: Callable[[], bool] = lambda: True,
    atomic: Callable[[], AbstractContextManager[object]] | None = None,
    batch_messages: int = BATCH_MESSAGES,
    batch_bytes: int = BATCH_BYTES,
) -> PollResult:
    """Fetch what is new in the folder, ingest it, move the cursor after each batch.

    `atomic` (the store's `transaction`): each batch and its cursor are stored in one
    transaction, so a crash stores all of a batch and its cursor, or none of it; that is
    also several times faster than a commit per message on PostgreSQL. A batch the store
    refuses as a whole is stored again message by message.

    A message `ingest` refuses with anything but `Unavailable` is logged and skipped (it
    stays in the mailbox, for `cstui mail ingest` once the cause is fixed): one message
    must not stop the mailbox. `Unavailable` (the store is down) ends the poll with the
    cursor after the last whole batch. `keep_going` is asked before each batch (shutdown,
    or the mailbox's lock lost)."""
    name = settings.name
    try:
        selected = client.select_folder(settings.folder, readonly=True)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        cursor = store.mailbox_cursor(name)
        start = _start(cursor, uidvalidity)
        restarted = cursor is not None and cursor[0] != uidvalidity
        if restarted:
            log.warning("mailbox %s: UIDVALIDITY changed: reading %s again", name, settings.folder)
            store.save_mailbox_cursor(name, uidvalidity=uidvalidity, last_uid=0)
        sizes = _new_sizes(client, start) if _may_have_new(selected, start) else {}
        last_uid, ingested, new, skipped = start - 1, 0, 0, 0
        for batch in batches(sizes, batch_messages, batch_bytes):
            if not keep_going():
                break
            fetched = client.fetch(batch, [b"BODY.PEEK[]"])
            # Expunged since the search: nothing to store.
            raws = [
                (uid, fetched[uid][b"BODY[]"]) for uid in batch if b"BODY[]" in fetched.get(uid, {})
            ]
            moved = (name, uidvalidity, batch[-1])
            done = _store_batch(store, ingest, raws, moved, atomic) if atomic else None
            handed, fresh = done or _store_each(store, ingest, raws, moved)
            ingested, new = ingested + handed, new + fresh
            skipped += len(raws) - handed
            last_uid = batch[-1]
    except (OSError, IMAPClientError) as exc:
        raise Unavailable(f"mailbox {name}: {_reason(exc)}") from None
    return PollResult(uidvalidity, max(last_uid, 0), ingested, new, skipped, restarted)


def batches(sizes: dict[int, int], most: int, budget: int) -> Iterator[list[int]]:
    """The UIDs in order, in runs of at most `most` messages and about `budget` bytes (a
    message larger than the budget goes alone)."""
    batch: list[int] = []
    used = 0
    for uid in sorted(sizes):
        size = sizes[uid]
        if batch and (len(batch) >= most or used + size > budget):
            yield batch
            batch, used = [], 0
        batch.append(uid)
        used += size
    if batch:
        yield batch


def _store_each(
    store: CursorStore, ingest: Ingest, raws: list[tuple[int, bytes]], cursor: tuple[str, int, int]
) -> tuple[int, int]:
    """Ingest a batch message by message, skipping those refused, then move the cursor past
    it: (stored, of which new)."""
    name, uidvalidity, last_uid = cursor
    outcomes = [_ingest_one(ingest, name, uid, raw) for uid, raw in raws]
    store.save_mailbox_cursor(name, uidvalidity=uidvalidity, last_uid=last_uid)
    return sum(o is not None for o in outcomes), sum(o is True for o in outcomes)


def _store_batch(
    store: CursorStore,
    ingest: Ingest,
    raws: list[tuple[int, bytes]],
    cursor: tuple[str, int, int],
    atomic: Callable[[], AbstractContextManager[object]],
) -> tuple[int, int] | None:
    """Ingest a batch and move the cursor past it, all in one transaction: (stored, of which
    new), or None when the store refused a message (nothing of the batch was kept)."""
    name, uidvalidity, last_uid = cursor
    try:
        with atomic():
            fresh = sum(bool(ingest(raw)) for _uid, raw in raws)
            store.save_mailbox_cursor(name, uidvalidity=uidvalidity, last_uid=last_uid)
    except Unavailable:
        raise
    except _REFUSALS:
        return None
    return len(raws), fresh


# What a message may make the parser or the store raise (hostile mail is data).
_REFUSALS = (CstuiError, ValueError, LookupError, UnicodeError, TypeError)


def _ingest_one(ingest: Ingest, mailbox: str, uid: int, raw: bytes) -> bool | None:
    """Whether the message was new; None when it was refused (logged)."""
    try:
        return bool(ingest(raw))
    except Unavailable:
        raise
    except _REFUSALS as exc:
        # Hostile or broken mail is data: log it (inert: the reason may quote the mail)
        # and go on; the message stays in the mailbox.
        log.error("mailbox %s: UID %d not stored: %s", mailbox, uid, one_line(repr(exc)))
        return None


def _start(cursor: tuple[int, int] | None, uidvalidity: int) -> int:
    """The first UID to fetch."""
    if cursor is None or cursor[0] != uidvalidity:
        return 1
    return cursor[1] + 1


def _may_have_new(selected: dict[bytes, object], start: int) -> bool:
    """Whether the folder may hold a UID from `start` on (UIDNEXT, when the server tells
    it, saves a round trip on an idle mailbox)."""
    if not int(str(selected.get(b"EXISTS", 0))):
        return False
    uidnext = selected.get(b"UIDNEXT")
    return uidnext is None or int(str(uidnext)) > start


def _new_sizes(client: imapclient.IMAPClient, start: int) -> dict[int, int]:
    """Each UID from `start` on, with its size, asked for in chunks (a server bounds the
    length of a command line: Dovecot's is 64 KB)."""
    uids = list(_new_uids(client, start))
    sizes: dict[int, int] = {}
    for at in range(0, len(uids), SIZE_CHUNK):
        found = client.fetch(uids[at : at + SIZE_CHUNK], [b"RFC822.SIZE"])
        sizes.update({uid: int(item.get(b"RFC822.SIZE", 0)) for uid, item in found.items()})
    return sizes


def _new_uids(client: imapclient.IMAPClient, start: int) -> Sequence[int]:
    """The UIDs from `start` on. "N:*" names the last message even when its UID is below N
    (RFC 3501), hence the filter."""
    return [uid for uid in client.search(["UID", f"{start}:*"]) if uid >= start]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message}): set ca_file"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return one_line(str(exc)) or type(exc).__name__


def _login(client: imapclient.IMAPClient, username: str, password: str) -> None:
    """LOGIN takes ASCII only (imaplib encodes its arguments so): a name or password beyond
    it goes by AUTHENTICATE PLAIN, which carries UTF-8 (RFC 4616)."""
    if (username + password).isascii():
        client.login(username, password)
    else:
        client.plain_login(username, password)


def _close(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError):
        with suppress(OSError):
            client.shutdown()
