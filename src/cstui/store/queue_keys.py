"""The queue views' keys and predicates, in plain Python (no SQLAlchemy).

The schema builds its partial indexes from them, `views.py` its WHERE and ORDER BY clauses,
and the first look (`glance.py`) reads a local store with them before SQLAlchemy is loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime

NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)  # sorts after every real deadline

# One partial index per queue view; the predicates are the views' own WHERE clauses.
QUEUE_ORDER = ("green_rank", "due_key", "tier_rank", "id")
VIP_ORDER = ("green_rank", "due_key", "id")
VIEW_PREDICATES: dict[str, str] = {
    "unassigned": "active = 1 AND owner_id IS NULL",
    "all-open": "active = 1",
    "vip": "active = 1 AND tier_rank = 0",
    "escalated": "active = 1 AND open_escalations > 0",
    "green": "active = 1 AND green_rank = 0",
    "mine": "active = 1",
}
