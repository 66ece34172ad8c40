"""The `attachments` table: uploaded files, kept in Postgres until (and after) a message cites them.

A separate module so that attachments stay one concept; it registers on the shared `metadata`.
"""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    func,
)

from store.tables import metadata

attachments = Table(
    "attachments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organisations.id"), nullable=False),
    Column("uploader_id", String(36), ForeignKey("users.id"), nullable=False),
    # No foreign key: the ticket row is a projection written after the workflow starts, and files
    # are bound as soon as the ticket id exists.
    Column("ticket_id", BigInteger),
    Column("internal", Boolean, nullable=False, server_default="false"),
    Column("filename", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", CHAR(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_attachments_ticket_id", "ticket_id"),
)
