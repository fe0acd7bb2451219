"""automations: firings once per (rule, ticket, instance), agents' notifications, due indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 18:00:00

`firings` records each automation once (its unique key is the exactly-once guard);
`notifications` is each agent's feed with its read state; `automation_state` keeps the
sweep's place in the event log. Partial indexes on each due column let a sweep find due
work without reading every ticket.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from cstui.store.schema import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN = "state IN ('requested', 'acknowledged')"


def _where(predicate: str) -> dict[str, Any]:
    clause = sa.text(predicate)
    return {"sqlite_where": clause, "postgresql_where": clause}


def upgrade() -> None:
    op.create_table(
        "firings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("instance", sa.String(length=80), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("fired_at", UtcDateTime(), nullable=False),
    )
    op.create_index("uq_firings_key", "firings", ["rule", "ticket_id", "instance"], unique=True)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("text_key", sa.String(length=64), nullable=False),
        sa.Column("params", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_notifications_agent", "notifications", ["agent_id", "id"])
    op.create_index(
        "ix_notifications_unread", "notifications", ["agent_id", "id"], **_where("read_at IS NULL")
    )
    op.create_table(
        "automation_state",
        sa.Column("key", sa.String(length=32), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    tickets = (
        ("ix_auto_first", "first_response_due", "active = 1 AND first_response_due IS NOT NULL"),
        ("ix_auto_next", "next_response_due", "active = 1 AND next_response_due IS NOT NULL"),
        (
            "ix_auto_vip_resolution",
            "resolution_due",
            "active = 1 AND tier_rank = 0 AND resolution_due IS NOT NULL",
        ),
    )
    for name, column, predicate in tickets:
        op.create_index(name, "tickets", [column, "id"], **_where(predicate))
    op.create_index("ix_auto_esc_due", "escalations", ["due_at", "id"], **_where(OPEN))
    op.create_index("ix_auto_esc_open", "escalations", ["created_at", "id"], **_where(OPEN))


def downgrade() -> None:
    op.drop_index("ix_auto_esc_open", table_name="escalations")
    op.drop_index("ix_auto_esc_due", table_name="escalations")
    for name in ("ix_auto_vip_resolution", "ix_auto_next", "ix_auto_first"):
        op.drop_index(name, table_name="tickets")
    op.drop_table("automation_state")
    op.drop_table("notifications")
    op.drop_table("firings")
