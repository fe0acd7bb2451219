"""The store's side of channels: customers' mail and chat threaded into tickets
(`ingest`) and where each polled mailbox is (`cursors`). Functions `fn(tx, *, …)` like
every aggregate module (`store/tx.py`); `facade.ChannelMethods` puts them, the outbox
(`store/outbox.py`: replies, acknowledgements and surveys queued and claimed for delivery)
and the files kept with tickets (`store/attachments.py`) on `SqlStore`. The outbox and the
files sit one layer below the aggregates, which queue and keep them in their transactions.
"""
