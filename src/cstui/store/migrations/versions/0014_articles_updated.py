"""suggested answers: the knowledge base's last change, read from an index

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06 19:45:00

The suggestion index (`cstui.domain.suggest`) is kept in memory and rebuilt when the
knowledge base changes; `max(updated_at)` with `max(id)` says whether it has, and with this
index it costs a lookup instead of reading every article.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_updated", "articles", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_updated", table_name="articles")
