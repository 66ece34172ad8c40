"""Outgoing webhooks: the endpoints admins register and the outbox the projection fills.

Not to be confused with `webhook_deliveries` in store/tables.py, which de-duplicates *incoming* JIRA
webhooks. Migration 0012 creates both tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from store.tables import metadata

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("events", ARRAY(Text), nullable=False),
    Column("secret", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("created_by", String(36)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("failing_since", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("last_failure_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("disabled_at", DateTime(timezone=True)),
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("endpoint_id", String(36), ForeignKey("webhook_endpoints.id", ondelete="CASCADE")),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("ticket_id", BigInteger, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delivered_at", DateTime(timezone=True)),
    Column("last_error", Text),
    PrimaryKeyConstraint("endpoint_id", "event_id"),
)
