"""The table of signed one-click links already answered (survey, verification).

A separate module so that one-click answers stay one concept; it registers on the shared `metadata`.
Only the SHA-256 of a token is kept: the table tells whether a link was used, never what it said
beyond the claims the answer needs for the audit (recipient, ticket, purpose).
"""

from __future__ import annotations

from sqlalchemy import CHAR, BigInteger, Column, DateTime, String, Table, func

from store.tables import metadata

used_links = Table(
    "used_links",
    metadata,
    Column("link_hash", CHAR(64), primary_key=True),  # unique: the second of two racing clicks loses
    Column("recipient_id", String(36), nullable=False),
    Column("ticket_id", BigInteger, nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
