"""Escalations: read model, timeline, card links (for webhook routing), webhook de-duplication.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS escalation_number_seq START WITH 1")
    op.create_table(
        "escalations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("org_id", sa.String(36), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("eta", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("snapshot", JSONB, nullable=False),
    )
    op.create_index("ix_escalations_stage_id", "escalations", ["stage", "id"])
    op.create_index("ix_escalations_org_id", "escalations", ["org_id"])
    op.create_table(
        "escalation_events",
        sa.Column("escalation_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(36)),
        sa.Column("actor_role", sa.String(16)),
        sa.Column("data", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("escalation_id", "seq"),
    )
    op.create_table(
        "escalation_cards",
        sa.Column("escalation_id", sa.String(32), nullable=False),
        sa.Column("card_key", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("escalation_id", "card_key"),
    )
    op.create_index("ix_escalation_cards_key", "escalation_cards", ["card_key"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("identifier", sa.String(128), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in ("webhook_deliveries", "escalation_cards", "escalation_events", "escalations"):
        op.drop_table(table)
    op.execute("DROP SEQUENCE IF EXISTS escalation_number_seq")
