"""The payloads of what is done with a customer's personal data."""

from __future__ import annotations

from cstui.domain.events.base import Payload, payload_class
from cstui.domain.model import EventKind


@payload_class
class PiiRevealed(Payload):
    KIND = EventKind.PII_REVEALED
    customer_id: int
    fields: tuple[str, ...]


@payload_class
class RevealRefused(Payload):
    KIND = EventKind.REVEAL_REFUSED
    customer_id: int
    reason: str
