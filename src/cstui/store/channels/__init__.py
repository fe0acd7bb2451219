"""The store's side of channels: customers' mail and chat threaded into tickets
(`ingest`), replies, acknowledgements and surveys queued and claimed for delivery
(`outbox`), files kept with tickets (`attachments`) and where each polled mailbox is
(`cursors`). Functions `fn(tx, *, …)` like every aggregate module (`store/tx.py`);
`facade.ChannelMethods` puts them on `SqlStore`.
"""
