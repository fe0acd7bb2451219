"""The event log's schema: one payload class per event kind, and its one encoding.

Every change is one `Event` whose `old` and `new` are small JSON objects (the `events`
table's two text columns), and every quality figure is computed from them. Here each
`EventKind` has exactly one frozen dataclass naming the fields of both objects: a field
`old_<key>` is `old["<key>"]`, any other field is `new["<key>"]` (a trailing underscore is
dropped, so `from_` is `new["from"]`). A field made with `omitted()` is left out of the
object while it holds its default; every other field is always there, null or not.

Field types: str, int, float, bool, an enum (its value), an aware datetime (ISO 8601 text),
a tuple of str (a JSON list), each of them or None (JSON null).

`encode` writes a payload as the two columns' text, exactly as `json.dumps(...,
ensure_ascii=False, sort_keys=True)` would; `decode` reads a kind and the two parsed
objects back into its payload. Both check every field, so an unknown kind or a missing,
extra or mistyped field raises `MalformedEvent`, naming the kind and the field. Both are
hand-written loops over precomputed fields, not a validation library: the seed encodes and
the metrics decode hundreds of thousands of events at a time.

The package: `base` (the registry and how a payload class is made), the payload classes by
aggregate (`tickets`, `customers`, `agents`, `articles`), `codecs` (each field type's
reading and writing), `spec` (each class's fields and generated functions) and `encoding`
(`decode`, `encode` and their kin). Everything is named here, as `events.X`.
"""

from __future__ import annotations

from cstui.domain.events.agents import AgentAdded, RoutingPaused
from cstui.domain.events.articles import (
    ArticleAdded,
    ArticleEdited,
    ArticlePublished,
    ArticlesLoaded,
)
from cstui.domain.events.automations import Automation
from cstui.domain.events.base import PAYLOADS, MalformedEvent, P, Payload, omitted
from cstui.domain.events.customers import PiiRevealed, RevealRefused
from cstui.domain.events.encoding import columns, decode, encode, encode_around, payload, payload_as
from cstui.domain.events.tickets import (
    Closed,
    Complaint,
    ComplaintWarning,
    Created,
    Csat,
    CustomerMessage,
    Escalated,
    EscalationStateChanged,
    FollowUpDone,
    FollowUpScheduled,
    GreenChannel,
    Linked,
    Merged,
    Note,
    OwnerChange,
    OwnerMoved,
    PriorityChanged,
    Reopened,
    Reply,
    Resolved,
    ResolveOverride,
    Routed,
    StatusChanged,
    Stolen,
    Taken,
    TransferApproved,
    TransferDenied,
    Transferred,
    TransferRequested,
)

__all__ = [
    "PAYLOADS",
    "AgentAdded",
    "ArticleAdded",
    "ArticleEdited",
    "ArticlePublished",
    "ArticlesLoaded",
    "Automation",
    "Closed",
    "Complaint",
    "ComplaintWarning",
    "Created",
    "Csat",
    "CustomerMessage",
    "Escalated",
    "EscalationStateChanged",
    "FollowUpDone",
    "FollowUpScheduled",
    "GreenChannel",
    "Linked",
    "MalformedEvent",
    "Merged",
    "Note",
    "OwnerChange",
    "OwnerMoved",
    "P",
    "Payload",
    "PiiRevealed",
    "PriorityChanged",
    "Reopened",
    "Reply",
    "ResolveOverride",
    "Resolved",
    "RevealRefused",
    "Routed",
    "RoutingPaused",
    "StatusChanged",
    "Stolen",
    "Taken",
    "TransferApproved",
    "TransferDenied",
    "TransferRequested",
    "Transferred",
    "columns",
    "decode",
    "encode",
    "encode_around",
    "omitted",
    "payload",
    "payload_as",
]
