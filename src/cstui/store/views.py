"""Queue views as SQL: a literal predicate, a keyset order, and an opaque cursor.

Pagination is keyset only (never OFFSET): the cursor carries the order-key values of the
last row, and the next page starts strictly after them, so a page deep in a million-row
queue costs the same as the first.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cstui.errors import BadInput
from cstui.store.base import View
from cstui.store.queue_keys import QUEUE_ORDER, VIEW_PREDICATES, VIP_ORDER


@dataclass(frozen=True, slots=True)
class ViewSpec:
    predicate: str  # literal SQL repeated from the partial index, so the index is used
    order: tuple[str, ...]
    descending: bool = False
    extra: str | None = None  # a parametrised condition (:actor_id, :risk_until)


VIEW_SPECS: dict[View, ViewSpec] = {
    View.UNASSIGNED: ViewSpec(VIEW_PREDICATES["unassigned"], QUEUE_ORDER),
    View.ALL_OPEN: ViewSpec(VIEW_PREDICATES["all-open"], QUEUE_ORDER),
    View.VIP: ViewSpec(VIEW_PREDICATES["vip"], VIP_ORDER),
    # A column the WHERE fixes (green_rank here, owner_id for mine) stays out of the cursor
    # comparison: the row value then starts at the first free column and the index seeks.
    View.GREEN: ViewSpec(VIEW_PREDICATES["green"], QUEUE_ORDER[1:]),
    View.ESCALATED: ViewSpec(VIEW_PREDICATES["escalated"], QUEUE_ORDER),
    View.MINE: ViewSpec(VIEW_PREDICATES["mine"], QUEUE_ORDER, extra="owner_id = :actor_id"),
    View.SLA_RISK: ViewSpec("active = 1", ("due_key", "id"), extra="due_key < :risk_until"),
    View.FOLLOW_UP: ViewSpec("follow_up_due IS NOT NULL", ("follow_up_due", "id")),
    View.CLOSED: ViewSpec("active = 0", ("resolved_at", "id"), descending=True),
}

_DATETIME_KEYS = frozenset({"due_key", "follow_up_due", "resolved_at"})


def encode_cursor(values: tuple[Any, ...]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: tuple[str, ...]) -> tuple[Any, ...]:
    """Parse a cursor for this view's order; anything else is BadInput, never a crash."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(order):
            raise ValueError("wrong shape")
        return tuple(
            datetime.fromisoformat(v) if name in _DATETIME_KEYS else _scalar(v)
            for name, v in zip(order, values, strict=True)
        )
    except (ValueError, TypeError) as exc:
        raise BadInput(f"cursor: not a cursor of this view ({exc})") from None


def _scalar(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    raise ValueError("expected a whole number")


def keyset_sql(spec: ViewSpec, *, after: bool) -> tuple[str, str]:
    """The WHERE and ORDER BY clauses for one page (without the leading keywords)."""
    conds = [spec.predicate]
    if spec.extra:
        conds.append(spec.extra)
    if after:
        cols = ", ".join(f"t.{c}" for c in spec.order)
        params = ", ".join(f":k{i}" for i in range(len(spec.order)))
        op = "<" if spec.descending else ">"
        conds.append(f"({cols}) {op} ({params})")
    direction = " DESC" if spec.descending else ""
    order = ", ".join(f"t.{c}{direction}" for c in spec.order)
    where = " AND ".join(_qualify(c) for c in conds)
    return where, order


def _qualify(condition: str) -> str:
    """Prefix bare column names of the literal predicates with the tickets alias."""
    words = condition.split(" ")
    cols = {
        "active",
        "owner_id",
        "tier_rank",
        "open_escalations",
        "green_rank",
        "due_key",
        "follow_up_due",
    }
    return " ".join(f"t.{w}" if w in cols else w for w in words)
