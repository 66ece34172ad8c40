"""Writing and reading the audit log (`store.audit_tables.audit_log`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.audit_tables import audit_log
from store.keyset import keyset


@dataclass(frozen=True)
class AuditEntry:
    """One administrative act, as the service layer describes it."""

    actor_id: str
    actor_role: str
    on_behalf_of: str | None
    action: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    target: str | None = None
    actor_id: str | None = None


async def append(conn: AsyncConnection, entry: AuditEntry) -> None:
    """In the caller's transaction, so the act and its record commit (or roll back) together."""
    await conn.execute(insert(audit_log).values(**entry.__dict__))


async def list_entries(
    conn: AsyncConnection, f: AuditFilter, limit: int, before_id: int | None
) -> list[dict[str, Any]]:
    """Newest first, keyset on id."""
    query = select(audit_log)
    for column, value in ((audit_log.c.action, f.action), (audit_log.c.target, f.target)):
        if value is not None:
            query = query.where(column == value)
    if f.actor_id is not None:
        query = query.where(audit_log.c.actor_id == f.actor_id)
    after = (before_id,) if before_id is not None else None
    query = keyset(query, (audit_log.c.id,), after, limit, descending=True)
    return [dict(r) for r in (await conn.execute(query)).mappings()]
