"""Who did what in administration: an append-only `audit_log` (migration 0012).

There was no audit table for admin actions before (support-access grants audit their own uses), so
webhook administration records here; other admin routes can join later.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, String, Table, Text, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables import metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor_id", String(36)),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=False),
    Column("target_id", Text, nullable=False),
    Column("data", JSONB, nullable=False, server_default="{}"),
)


async def record(
    conn: AsyncConnection,
    actor_id: str | None,
    action: str,
    target_type: str,
    target_id: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Write one entry in the caller's transaction, so the entry and the change commit together."""
    await conn.execute(
        insert(audit_log).values(
            actor_id=actor_id, action=action, target_type=target_type, target_id=target_id, data=data or {}
        )
    )


async def entries_for(conn: AsyncConnection, target_type: str, target_id: str) -> list[dict[str, Any]]:
    """A target's history, oldest first."""
    query = (
        select(audit_log)
        .where(audit_log.c.target_type == target_type, audit_log.c.target_id == target_id)
        .order_by(audit_log.c.id)
    )
    return [dict(row) for row in (await conn.execute(query)).mappings()]
