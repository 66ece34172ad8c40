"""Groups of agents, their members, the routing rules that put tickets in them, and macros.

A separate module so that queues stay one concept; it registers on the shared `metadata`.
Migration 0013 creates these tables and the tickets' `group_id` and `tags` columns.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from store.tables import metadata

groups = Table(
    "groups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("tier", String(4), nullable=False),
    # The group of tickets no L1 routing rule matches; at most one.
    Column("is_default", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ux_groups_default", "is_default", unique=True, postgresql_where=text("is_default")),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(36), ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("group_id", "user_id"),
    Index("ix_group_members_user", "user_id"),
)

routing_rules = Table(
    "routing_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("position", Integer, nullable=False),
    # L1: where a new ticket goes; L2: whose group a transfer to L2 goes to (the product owner's).
    Column("tier", String(4), nullable=False, server_default="L1"),
    Column("group_id", String(36), ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("product", Text),
    Column("module", Text),
    Column("kind", String(16)),
    Column("org_id", String(36)),
    Column("channel", String(16)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_routing_rules_tier_position", "tier", "position"),
)

macros = Table(
    "macros",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    # None: every agent's macro; else offered for that group's tickets.
    Column("group_id", String(36), ForeignKey("groups.id", ondelete="CASCADE")),
    Column("reply", Text),
    Column("internal", Boolean, nullable=False, server_default="false"),
    Column("actions", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
