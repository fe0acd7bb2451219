"""ticket search: an index of every ticket's identifiers, subject, customer and thread

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:00:00

The index depends on the database and is not a model (see `cstui.store.ticket_index`): on
SQLite a contentless FTS5 table over pre-cut tokens, on PostgreSQL a table of tsvectors
under GIN indexes. Existing tickets are indexed here, in the migration's transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from cstui.store import ticket_index

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(ticket_index.FTS5_TABLE)
    else:
        op.create_table(
            "ticket_search",
            sa.Column("ticket_id", sa.Integer(), nullable=False),
            sa.Column("ids", postgresql.TSVECTOR(), nullable=False),
            sa.Column("head", postgresql.TSVECTOR(), nullable=False),
            sa.Column("doc", postgresql.TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("ticket_id"),
        )
        for column in ("ids", "head", "doc"):
            op.create_index(
                f"ix_ticket_search_{column}", "ticket_search", [column], postgresql_using="gin"
            )
    ticket_index.backfill(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE ticket_fts")
    else:
        op.drop_table("ticket_search")
