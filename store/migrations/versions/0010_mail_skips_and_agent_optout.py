"""Mail outbox rows may end without a mail, with the reason; agents may turn off their e-mail.

A queued notification that owes nobody a mail (a status change other than "resolved", an agent who
opted out, an unassigned ticket before groups exist) used to be marked `sent_at` like a delivered one.
Now it gets `skipped_at` and `skip_reason`, so "sent" means a mail went out. The unsent-rows index
follows the mailer's query (nothing sent, failed or skipped).

`users.notify_by_email`: an agent's opt-out of the e-mails about their tickets (default on).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_OWED = "sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL"


def upgrade() -> None:
    op.add_column("notifications", sa.Column("skipped_at", sa.DateTime(timezone=True)))
    op.add_column("notifications", sa.Column("skip_reason", sa.Text))
    op.drop_index("ix_notifications_unsent", "notifications")
    op.create_index(
        "ix_notifications_unsent", "notifications", ["created_at"], postgresql_where=sa.text(_OWED)
    )
    op.add_column("users", sa.Column("notify_by_email", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("users", "notify_by_email")
    # Before 0010 a skipped row counted as sent: keep the old mailer from sending it now.
    op.execute(
        "UPDATE notifications SET sent_at = skipped_at WHERE sent_at IS NULL AND skipped_at IS NOT NULL"
    )
    op.drop_index("ix_notifications_unsent", "notifications")
    op.create_index(
        "ix_notifications_unsent",
        "notifications",
        ["created_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.drop_column("notifications", "skip_reason")
    op.drop_column("notifications", "skipped_at")
