"""kept figures: the quality figures' sums, kept with the log

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:40:00

Three tables (each ticket's facts, each CSAT answer, per hour and agent the sums) and their
first filling from the log, so a store migrated with history has its figures at once.
"""

from __future__ import annotations

from alembic import op

from cstui.store import figures
from cstui.store.schema import METRIC_ANSWERS, METRIC_HOURS, METRIC_TICKETS

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = (METRIC_TICKETS, METRIC_ANSWERS, METRIC_HOURS)


def upgrade() -> None:
    conn = op.get_bind()
    for table in TABLES:
        table.create(conn)  # with its indexes, as schema.py declares them
    figures.rebuild(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for table in reversed(TABLES):
        table.drop(conn)
