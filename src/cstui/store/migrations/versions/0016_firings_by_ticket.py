"""firings by ticket: a sweep drops what already fired by its tickets' keys

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-06 20:50:00

The unique key (rule, ticket_id, instance) leads with the rule, so "the firings of these
tickets" (each sweep's check of what it found) read every firing ever recorded; an index
on ticket_id reads only those tickets' rows, however long the history grows.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_firings_ticket", "firings", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_firings_ticket", table_name="firings")
