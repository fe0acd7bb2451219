"""external ids: tickets and customers imported from another helpdesk

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-06 19:50:00

`cstui import --from zendesk|csv` keeps each ticket's and customer's id in the system it
came from ("zendesk:123"). Unique (NULL for everything made here), so importing the same
export twice finds what the first run added instead of adding it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("tickets", "customers"):
        # A plain ADD COLUMN: no rebuild of a table that may hold a million rows.
        op.add_column(table, sa.Column("external_id", sa.String(length=255), nullable=True))
        op.create_index(f"uq_{table}_external", table, ["external_id"], unique=True)


def downgrade() -> None:
    for table in ("tickets", "customers"):
        op.drop_index(f"uq_{table}_external", table_name=table)
        # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop `tickets`, which
        # other tables' foreign keys hold on to.
        op.execute(f"ALTER TABLE {table} DROP COLUMN external_id")
