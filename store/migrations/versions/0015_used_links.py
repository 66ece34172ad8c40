"""Signed one-click links already answered: the SHA-256 of each used token, unique, so that two
clicks racing on the same link record one answer. And a small partial index for the support-access
page's trail: the ticket changes staff made on a user's behalf (store.support_access.audit_trail).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_links",
        sa.Column("link_hash", sa.CHAR(64), primary_key=True),
        sa.Column("recipient_id", sa.String(36), nullable=False),
        sa.Column("ticket_id", sa.BigInteger, nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        "ix_ticket_events_on_behalf",
        "ticket_events",
        ["actor_id", "at"],
        postgresql_where=sa.text("on_behalf_of IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_events_on_behalf", table_name="ticket_events")
    op.drop_table("used_links")
