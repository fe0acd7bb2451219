"""Idempotency keys: a retried POST to the team server replays its first response

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:30:00

One row per (agent, key), claimed before the request runs and completed with its status
and body; every server process sharing the database sees the same rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cstui.store.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), primary_key=True),
        sa.Column("key", sa.String(length=128), primary_key=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.String(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
