"""Our Message-IDs: one form for every mail we send (replies, acknowledgements, surveys).

`<cstui.t1234.d56.3f9a…@shop.example.cn>`: unguessable (random hex), and carrying the
ticket (and the delivery, when known) so a reply threads even past our own records.
"""

from __future__ import annotations

import re
import secrets

_OURS = re.compile(r"^<?cstui\.t(\d{1,12})(?:\.d(\d{1,12}))?\.[0-9a-f]{8,64}@[^<>\s@]+>?$")
_DOMAIN = re.compile(r"[^a-z0-9.-]")


def clean_domain(domain: str) -> str:
    return _DOMAIN.sub("", domain.strip().lower()).strip(".-") or "localhost"


def make_message_id(ticket_id: int, domain: str, *, delivery_id: int | None = None) -> str:
    """A new Message-ID of ours for mail about `ticket_id` (and the delivery, when known)."""
    delivery = f".d{delivery_id}" if delivery_id is not None else ""
    return f"<cstui.t{ticket_id}{delivery}.{secrets.token_hex(8)}@{clean_domain(domain)}>"


def ticket_from_message_id(message_id: str) -> int | None:
    """The ticket id in one of our Message-IDs, or None for anyone else's."""
    found = _OURS.match(message_id.strip())
    return int(found.group(1)) if found else None


def delivery_from_message_id(message_id: str) -> int | None:
    """The delivery id in one of our Message-IDs, or None."""
    found = _OURS.match(message_id.strip())
    return int(found.group(2)) if found and found.group(2) else None


def domain_of(address: str) -> str:
    """The domain part of `address`, for our Message-IDs."""
    return clean_domain(address.rpartition("@")[2])
