"""knowledge base: articles and their search index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00

The index depends on the database and is not a model (see `cstui.store.kb`): on SQLite a
contentless FTS5 table over pre-cut tokens, on PostgreSQL a tsvector table with a GIN index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cstui.store.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Contentless (the text is in `articles`), split at spaces only (the text is pre-cut).
FTS5_TABLES = (
    "CREATE VIRTUAL TABLE kb_fts USING fts5("
    "title, tags, body, facets, content='', tokenize='ascii')",
    "CREATE VIRTUAL TABLE kb_head USING fts5(title, tags, facets, content='', tokenize='ascii')",
)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("tags", sa.String(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", cstui.store.schema.UtcDateTime(), nullable=False),
        sa.Column("updated_at", cstui.store.schema.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in FTS5_TABLES:
            op.execute(statement)
        return
    op.create_table(
        "kb_search",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("head", postgresql.TSVECTOR(), nullable=False),
        sa.Column("doc", postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_index("ix_kb_search_head", "kb_search", ["head"], postgresql_using="gin")
    op.create_index("ix_kb_search_doc", "kb_search", ["doc"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE kb_head")
        op.execute("DROP TABLE kb_fts")
    else:
        op.drop_index("ix_kb_search_doc", table_name="kb_search")
        op.drop_index("ix_kb_search_head", table_name="kb_search")
        op.drop_table("kb_search")
    op.drop_table("articles")
