"""Support-access tables: the user's current grant, its audit trail, and the tokens agents obtain.

A separate module so that support access stays one concept; it registers on the shared `metadata`.
The grant and its events are the workflow's projection (no foreign keys, like tickets); tokens are
written by the API for existing users.
"""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from store.tables import metadata

support_access_grants = Table(
    "support_access_grants",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),  # active | revoked | expired
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_support_access_grants_active", "expires_at", postgresql_where=text("status = 'active'")),
)

support_access_events = Table(
    "support_access_events",
    metadata,
    Column("user_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", String(36)),
    Column("data", JSONB, nullable=False),
    PrimaryKeyConstraint("user_id", "seq"),
)

support_access_tokens = Table(
    "support_access_tokens",
    metadata,
    Column("token_hash", CHAR(64), primary_key=True),  # sha256 hex of the clear token
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("agent_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_support_access_tokens_user_expires", "user_id", "expires_at"),
)
