"""The channel workers: what moves mail and chat between customers and the store.

- `imap`: polls a mailbox and hands each new message to the store's ingest, resuming from
  the mailbox's (UIDVALIDITY, last UID) cursor;
- `smtp` and `webhook`: deliver a claimed `Outbound` by mail or to a chat channel's webhook,
  each failure classified as permanent or transient (`outcome`);
- `retry`: when a transient failure is tried again (exponential backoff, tenacity's);
- `locks`: one runner per mailbox (a PostgreSQL advisory lock, or a lock file beside SQLite);
- `worker`: the loops that tie them to the store, run in threads until stopped.

The store does the deciding (threading, dedupe, what to queue); these modules only move
bytes and report what happened.
"""
