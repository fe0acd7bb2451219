"""firings by time: the monitor counts what the automations did today

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:30:00

An index on (fired_at, rule) so "fired since midnight, by rule" reads only today's rows.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_firings_fired", "firings", ["fired_at", "rule"])


def downgrade() -> None:
    op.drop_index("ix_firings_fired", table_name="firings")
