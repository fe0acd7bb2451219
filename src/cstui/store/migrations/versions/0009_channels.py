"""channels: mail and chat come in, replies and surveys go out, with attachments

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 17:00:00

Messages learn their channel's id (the same mail delivered twice is stored once), the
customer's address and the untrimmed original; chat conversations map to tickets; the outbox
(`deliveries`) holds every reply, acknowledgement and survey to send; attachments are kept
in the database; each polled mailbox keeps its UIDVALIDITY and last UID. Customers are
found by e-mail address, so that column gets an index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cstui.store.schema import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_email"), ["email"], unique=False)
    # Columns and indexes only: SQLite adds them in place (a batch rebuild of `messages`
    # would rewrite its CREATE TABLE with the clauses in a varying order).
    op.add_column("messages", sa.Column("external_id", sa.String(length=255), nullable=True))
    op.add_column("messages", sa.Column("address", sa.String(), nullable=True))
    op.add_column("messages", sa.Column("full_body", sa.Text(), nullable=True))
    op.add_column("messages", sa.Column("auto", sa.String(length=12), nullable=True))
    op.create_index("uq_messages_external", "messages", ["channel", "external_id"], unique=True)
    op.create_index("ix_messages_address", "messages", ["channel", "address"], unique=False)
    op.create_table(
        "conversations",
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id"),
    )
    op.create_index("ix_conversations_ticket_id", "conversations", ["ticket_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=False, unique=True),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_deliveries_ticket_id", "deliveries", ["ticket_id"])
    op.create_index("ix_deliveries_message_id", "deliveries", ["message_id"])
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_attachments_ticket_id", "attachments", ["ticket_id"])
    op.create_index("ix_attachments_message_id", "attachments", ["message_id"])
    op.create_table(
        "mailbox_cursors",
        sa.Column("name", sa.String(length=128), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mailbox_cursors")
    op.drop_table("attachments")
    op.drop_table("deliveries")
    op.drop_table("conversations")
    op.drop_index("ix_messages_address", table_name="messages")
    op.drop_index("uq_messages_external", table_name="messages")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("auto")
        batch_op.drop_column("full_body")
        batch_op.drop_column("address")
        batch_op.drop_column("external_id")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_email"))
