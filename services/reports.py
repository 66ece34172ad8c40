"""Reports for a caller: survey answers over the tickets their scope admits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.actors import Role, is_staff
from services.context import Context
from services.problems import Problem
from store.reports import satisfaction as query_satisfaction


async def satisfaction(
    context: Context,
    org_id: str | None,
    agent_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[dict[str, Any]]:
    """Staff see every organisation, org admins their own (the scope); customers get no reports."""
    role = context.principal.role
    if not is_staff(role) and role is not Role.ORG_ADMIN:
        raise Problem(403, "reports are for staff and organisation admins")
    async with context.engine.connect() as conn:
        return await query_satisfaction(conn, context.scope, org_id, agent_id, since, until)
