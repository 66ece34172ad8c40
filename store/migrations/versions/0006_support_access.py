"""Support access: grants (the workflow's projection), their audit trail, and agents' tokens.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_access_grants",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("org_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_support_access_grants_active",
        "support_access_grants",
        ["expires_at"],
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "support_access_events",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(36)),
        sa.Column("data", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "seq"),
    )
    op.create_table(
        "support_access_tokens",
        sa.Column("token_hash", sa.CHAR(64), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("agent_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_support_access_tokens_user_expires", "support_access_tokens", ["user_id", "expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_support_access_tokens_user_expires", "support_access_tokens")
    op.drop_table("support_access_tokens")
    op.drop_table("support_access_events")
    op.drop_index("ix_support_access_grants_active", "support_access_grants")
    op.drop_table("support_access_grants")
