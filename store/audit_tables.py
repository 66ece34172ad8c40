"""The audit log's table: who changed which piece of configuration, when, and how.

A table of its own (registered on the shared `metadata`) because it is one concept: an append-only
record of administrative acts, written in the same transaction as the act it records.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from store.tables import metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor_id", String(36), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("on_behalf_of", String(36)),  # the agent, when acting through a support-access grant
    Column("action", String(64), nullable=False),  # e.g. "org.created", "sla_policy.changed"
    Column("target", Text, nullable=False),  # e.g. "org:<id>", "calendar:<name>"
    Column("details", JSONB, nullable=False, server_default="{}"),
    Index("ix_audit_log_target_id", "target", "id"),
    Index("ix_audit_log_action_id", "action", "id"),
)
