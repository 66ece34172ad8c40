"""Suspended mail: inbound messages no reply token or trusted DMARC pass vouches for, held for agents.

Listed newest first per status (the index on status, received_at, id serves the keyset pages); a
message retried by its sender's server after a lost answer is stored once (unique Message-ID).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suspended_mail",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="waiting"),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("mail_from", sa.Text, nullable=False, server_default=""),
        sa.Column("recipients", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("sender", sa.Text, nullable=False),
        sa.Column("sender_name", sa.Text, nullable=False, server_default=""),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("claimed_ticket_id", sa.BigInteger),
        sa.Column("message_id", sa.Text),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("raw_size", sa.Integer, nullable=False),
        sa.Column("raw_truncated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("decided_by", sa.String(36)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("ticket_id", sa.BigInteger),
    )
    op.create_index("ix_suspended_mail_status_received", "suspended_mail", ["status", "received_at", "id"])
    op.create_index(
        "ux_suspended_mail_message_id",
        "suspended_mail",
        ["message_id"],
        unique=True,
        postgresql_where=sa.text("message_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("suspended_mail")
