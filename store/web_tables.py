"""People's sign-in tables: one-time sign-in tokens and browser sessions.

A separate module so that web sign-in stays one concept; it registers on the shared `metadata`.
Both keep only the SHA-256 of their secret: a leaked table (or backup) signs nobody in.
"""

from __future__ import annotations

from sqlalchemy import CHAR, Column, DateTime, ForeignKey, Index, String, Table, func

from store.tables import metadata

signin_tokens = Table(
    "signin_tokens",
    metadata,
    Column("token_hash", CHAR(64), primary_key=True),  # sha256 hex of the clear token
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Index("ix_signin_tokens_user_created", "user_id", "created_at"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", CHAR(64), primary_key=True),  # sha256 hex of the cookie's session id
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("locale", String(16)),  # the page switch's choice; NULL: the user's own locale
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),  # absolute end, whatever the activity
    Index("ix_web_sessions_user", "user_id"),
    Index("ix_web_sessions_expires", "expires_at"),
)
