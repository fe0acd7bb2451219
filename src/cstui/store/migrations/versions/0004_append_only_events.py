"""The event log is append-only in the database itself, not only by convention

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:00:00

Metrics are computed from the log, so an edited or deleted event would silently change
history. Triggers refuse UPDATE and DELETE on `events` for every client of the database.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MESSAGE = "events are append-only"

PG_FUNCTION = f"""
CREATE FUNCTION cstui_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
        return
    op.execute(PG_FUNCTION)
    op.execute(
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION cstui_events_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER events_no_update")
        op.execute("DROP TRIGGER events_no_delete")
        return
    op.execute("DROP TRIGGER events_append_only ON events")
    op.execute("DROP FUNCTION cstui_events_append_only()")
