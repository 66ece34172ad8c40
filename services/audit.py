"""The audit log of administrative acts: `await audit(context, action, target, details)`.

Why here, as one call: every admin act (keys, users, organisations, SLA policies, calendars, and
later routing rules and macros) must leave a record of who did it, as whom, to what and how, and
each caller should need one line for it. Pass `conn` to write the record in the act's own
transaction (nothing recorded for an act that rolled back, no act without its record); without it
the record gets a transaction of its own, for acts that are not database writes (e.g. a signal).
Admins read it with `GET /v1/admin/audit`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.context import Context
from services.pagination import Page, decode_cursor, page_of
from store import audit as store
from store.audit import AuditEntry, AuditFilter

__all__ = ["AuditFilter", "audit", "audit_page"]


async def audit(
    context: Context,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
    conn: AsyncConnection | None = None,
) -> None:
    """Record that the caller did `action` (e.g. "org.created") to `target` (e.g. "org:<id>")."""
    principal = context.principal
    entry = AuditEntry(
        actor_id=principal.user_id,
        actor_role=principal.role.value,
        on_behalf_of=principal.acting_agent_id,
        action=action,
        target=target,
        details=details or {},
    )
    if conn is not None:
        await store.append(conn, entry)
        return
    async with context.engine.begin() as own:
        await store.append(own, entry)


async def audit_page(
    context: Context, filters: AuditFilter, limit: int, cursor: str | None = None
) -> Page[dict[str, Any]]:
    """Newest first. Who may read it is the route's business (admins)."""
    after = decode_cursor(cursor, (int,))
    async with context.engine.connect() as conn:
        rows = await store.list_entries(conn, filters, limit + 1, after[0] if after else None)
    return page_of(rows, limit, lambda row: (row["id"],))
