"""auto-assign: unowned active tickets by how long they have waited

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 18:50:00

A partial index on (created_at, id) of active tickets without an owner, so the
`auto_assign` rule finds those waiting past their tier's limit without reading the queue.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UNOWNED = "active = 1 AND owner_id IS NULL"  # = schema.AUTOMATION_PREDICATES["unowned"]


def upgrade() -> None:
    clause = text(UNOWNED)
    op.create_index(
        "ix_auto_unowned",
        "tickets",
        ["created_at", "id"],
        sqlite_where=clause,
        postgresql_where=clause,
    )


def downgrade() -> None:
    op.drop_index("ix_auto_unowned", table_name="tickets")
