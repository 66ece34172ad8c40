"""The notification outbox learns delivery: attempts, next attempt, permanent failure.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    op.add_column("notifications", sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
    op.add_column("notifications", sa.Column("failed_at", sa.DateTime(timezone=True)))
    op.add_column("notifications", sa.Column("last_error", sa.Text))
    op.create_index(
        "ix_notifications_unsent",
        "notifications",
        ["created_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_unsent", "notifications")
    for column in ("last_error", "failed_at", "next_attempt_at", "attempts"):
        op.drop_column("notifications", column)
