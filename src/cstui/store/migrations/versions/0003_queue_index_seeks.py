"""Queue indexes that seek: VIP without its fixed tier column, owner index for owned only

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:50:00

- `ix_q_vip` drops `tier_rank` (fixed by its predicate): SQLite sorted every run of equal
  deadlines in a temp B-tree, and a deep VIP page took 86 ms on a million tickets.
- `ix_q_owner` covers owned tickets only, so the unassigned view uses `ix_q_unassigned`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _where(predicate: str) -> dict[str, Any]:
    clause = sa.text(predicate)
    return {"sqlite_where": clause, "postgresql_where": clause}


def upgrade() -> None:
    op.drop_index("ix_q_vip", table_name="tickets")
    op.create_index(
        "ix_q_vip",
        "tickets",
        ["green_rank", "due_key", "id"],
        **_where("active = 1 AND tier_rank = 0"),
    )
    op.drop_index("ix_q_owner", table_name="tickets")
    op.create_index(
        "ix_q_owner",
        "tickets",
        ["owner_id", "green_rank", "due_key", "tier_rank", "id"],
        **_where("active = 1 AND owner_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_q_owner", table_name="tickets")
    op.create_index(
        "ix_q_owner",
        "tickets",
        ["owner_id", "green_rank", "due_key", "tier_rank", "id"],
        **_where("active = 1"),
    )
    op.drop_index("ix_q_vip", table_name="tickets")
    op.create_index(
        "ix_q_vip",
        "tickets",
        ["green_rank", "due_key", "tier_rank", "id"],
        **_where("active = 1 AND tier_rank = 0"),
    )
