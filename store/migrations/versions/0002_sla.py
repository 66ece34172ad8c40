"""SLA: calendars and policies (versioned), SLA columns on tickets, the notification outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _versioned(name: str) -> None:
    op.create_table(
        name,
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("name", "version"),
    )


def upgrade() -> None:
    _versioned("calendars")
    _versioned("sla_policies")
    op.add_column("organisations", sa.Column("sla_policy", sa.Text))
    op.add_column("tickets", sa.Column("sla_policy", sa.Text))
    op.add_column("tickets", sa.Column("sla_breached", sa.Boolean, nullable=False, server_default="false"))
    op.add_column("tickets", sa.Column("sla_next_due", sa.DateTime(timezone=True)))
    op.create_index("ix_tickets_sla_next_due", "tickets", ["sla_next_due"])
    op.create_index("ix_tickets_sla_breached_id", "tickets", ["id"], postgresql_where=sa.text("sla_breached"))
    op.create_table(
        "notifications",
        sa.Column("ticket_id", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("ticket_id", "seq", "kind"),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_index("ix_tickets_sla_breached_id", "tickets")
    op.drop_index("ix_tickets_sla_next_due", "tickets")
    for column in ("sla_next_due", "sla_breached", "sla_policy"):
        op.drop_column("tickets", column)
    op.drop_column("organisations", "sla_policy")
    op.drop_table("sla_policies")
    op.drop_table("calendars")
