"""Initial read model: organisations, users, API keys, tickets, ticket events, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True, default: bool = False) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=nullable, server_default=sa.func.now() if default else None
    )


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE SEQUENCE IF NOT EXISTS ticket_id_seq START WITH 1000")
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        _ts("created_at", nullable=False, default=True),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("org_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False, server_default="en"),
        _ts("created_at", nullable=False, default=True),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        _ts("created_at", nullable=False, default=True),
        _ts("expires_at"),
        _ts("revoked_at"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("org_id", sa.String(36), nullable=False),
        sa.Column("requester_id", sa.String(36), nullable=False),
        sa.Column("assignee_id", sa.String(36)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("impact", sa.Text),
        sa.Column("tier", sa.String(4), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("product", sa.Text),
        sa.Column("module", sa.Text),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("snapshot", JSONB, nullable=False),
    )
    op.create_index("ix_tickets_status_id", "tickets", ["status", "id"])
    op.create_index("ix_tickets_org_status_id", "tickets", ["org_id", "status", "id"])
    op.create_index("ix_tickets_requester_id", "tickets", ["requester_id", "id"])
    op.create_index("ix_tickets_assignee_id", "tickets", ["assignee_id", "id"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index(
        "ix_tickets_subject_trgm",
        "tickets",
        ["subject"],
        postgresql_using="gin",
        postgresql_ops={"subject": "gin_trgm_ops"},
    )
    op.create_table(
        "ticket_events",
        sa.Column("ticket_id", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        _ts("at", nullable=False),
        sa.Column("actor_id", sa.String(36)),
        sa.Column("actor_role", sa.String(16)),
        sa.Column("on_behalf_of", sa.String(36)),
        sa.Column("data", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "seq"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.Text, nullable=False),
        _ts("created_at", nullable=False, default=True),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )


def downgrade() -> None:
    for table in ("idempotency_keys", "ticket_events", "tickets", "api_keys", "users", "organisations"):
        op.drop_table(table)
    op.execute("DROP SEQUENCE IF EXISTS ticket_id_seq")
