"""Presence: which ticket each agent has open, so others see it and `u` skips it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 11:00:00

One row per agent, replaced on every heartbeat; it is not history (the event log is), so it
is kept out of exports.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cstui.store.schema import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_presence_ticket_id", "presence", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_presence_ticket_id", table_name="presence")
    op.drop_table("presence")
