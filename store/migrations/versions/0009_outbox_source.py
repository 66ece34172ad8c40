"""The outbox names what owes a notification: `source` is "ticket" or the escalation's id.

Escalation notifications used to pack "<escalation id>:<event>" into the 32-character `kind` (and
truncate it). Now the key is (ticket id, source, seq, kind) with `kind` the plain event type.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "notifications", sa.Column("source", sa.String(40), nullable=False, server_default="ticket")
    )
    op.alter_column("notifications", "kind", type_=sa.String(64))
    op.execute(
        "UPDATE notifications SET source = split_part(kind, ':', 1), kind = split_part(kind, ':', 2) "
        "WHERE position(':' in kind) > 0"
    )
    op.drop_constraint("notifications_pkey", "notifications", type_="primary")
    op.create_primary_key("notifications_pkey", "notifications", ["ticket_id", "source", "seq", "kind"])


def downgrade() -> None:
    op.drop_constraint("notifications_pkey", "notifications", type_="primary")
    op.execute("UPDATE notifications SET kind = left(source || ':' || kind, 32) WHERE source <> 'ticket'")
    op.alter_column("notifications", "kind", type_=sa.String(32))
    op.create_primary_key("notifications_pkey", "notifications", ["ticket_id", "seq", "kind"])
    op.drop_column("notifications", "source")
