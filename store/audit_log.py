"""Audit entries of one kind of target, in the shape `store/audit.py` keeps (`target` = "type:id").

Webhook administration records through here inside its own transaction; `services.audit.audit` is
the one-line call for routes that hold a service `Context`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.audit import AuditEntry, append
from store.audit_tables import audit_log
from store.identities import Principal


def target_of(target_type: str, target_id: str) -> str:
    return f"{target_type}:{target_id}"


async def record(
    conn: AsyncConnection,
    principal: Principal,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None = None,
) -> None:
    """One entry in the caller's transaction, so the entry and the change commit together."""
    entry = AuditEntry(
        actor_id=principal.user_id,
        actor_role=principal.role.value,
        on_behalf_of=principal.acting_agent_id,
        action=action,
        target=target_of(target_type, target_id),
        details=details or {},
    )
    await append(conn, entry)


async def entries_for(conn: AsyncConnection, target_type: str, target_id: str) -> list[dict[str, Any]]:
    """A target's history, oldest first."""
    query = (
        select(audit_log)
        .where(audit_log.c.target == target_of(target_type, target_id))
        .order_by(audit_log.c.id)
    )
    return [dict(row) for row in (await conn.execute(query)).mappings()]
