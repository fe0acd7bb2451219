"""Article drafts: knowledge captured from a ticket waits for a supervisor

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00

- `articles.draft` (0/1) and `articles.source_ticket_id` (the ticket it was captured from).
  Every article before this revision was written or loaded by hand: published (0).
- PostgreSQL's `kb_search` gets the same flag beside `kind` and `lang`, so a search filters
  on it without a join. SQLite's FTS5 index needs no change: a draft carries one more facet
  token (`store/kb/index.py`), and every existing entry, having none, reads as published.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SOURCE_FK = "fk_articles_source_ticket_id_tickets"


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table, so it copies the
    # table; article ids are kept, and with them the FTS5 rowids that point at them.
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("draft", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("source_ticket_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(SOURCE_FK, "tickets", ["source_ticket_id"], ["id"])
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(
            "kb_search",
            sa.Column("draft", sa.SmallInteger(), nullable=False, server_default="0"),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("kb_search", "draft")
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint(SOURCE_FK, type_="foreignkey")
        batch.drop_column("source_ticket_id")
        batch.drop_column("draft")
