"""The suspended-mail queue's table: inbound messages held for an agent (migration 0015).

A held message keeps its raw bytes (bounded: `raw_size` says how big it was, `raw_truncated` whether
the stored copy is cut), what was parsed from it for the list (sender, subject, the ticket it
claimed), why it was held, and once an agent decided, who, when, and the ticket it went to.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from store.tables import metadata

suspended_mail = Table(
    "suspended_mail",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False, server_default="waiting"),
    Column("reason", String(32), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("mail_from", Text, nullable=False, server_default=""),
    Column("recipients", ARRAY(Text), nullable=False, server_default="{}"),
    Column("sender", Text, nullable=False),
    Column("sender_name", Text, nullable=False, server_default=""),
    Column("subject", Text, nullable=False, server_default=""),
    Column("claimed_ticket_id", BigInteger),
    Column("message_id", Text),
    Column("body", Text, nullable=False, server_default=""),
    Column("raw", LargeBinary, nullable=False),
    Column("raw_size", Integer, nullable=False),
    Column("raw_truncated", Boolean, nullable=False, server_default=text("false")),
    Column("decided_by", String(36)),
    Column("decided_at", DateTime(timezone=True)),
    Column("ticket_id", BigInteger),
    Index("ix_suspended_mail_status_received", "status", "received_at", "id"),
    Index(
        "ux_suspended_mail_message_id",
        "message_id",
        unique=True,
        postgresql_where=text("message_id IS NOT NULL"),
    ),
)
