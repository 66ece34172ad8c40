"""`GET /v1/admin/audit`: the audit log of administrative acts, newest first (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import require_roles
from api.context import ContextDep
from api.pagination import Cursor, Limit
from api.schemas.audit import AuditEntryOut, AuditPage
from domain.actors import Role
from services.audit import AuditFilter, audit_page
from services.people import people_for

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[require_roles(Role.ADMIN)])


@router.get("/audit", response_model=AuditPage, summary="The audit log (newest first)", name="list_audit")
async def list_audit(
    context: ContextDep,
    action: Annotated[str | None, Query(max_length=64, description='e.g. "key.revoked"')] = None,
    target: Annotated[str | None, Query(max_length=200, description='e.g. "org:<id>"')] = None,
    actor_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> AuditPage:
    page = await audit_page(context, AuditFilter(action, target, actor_id), limit, cursor)
    people = await people_for(context, {row["actor_id"] for row in page.items})
    items = [
        AuditEntryOut.model_validate({**row, "actor": people.ref(row["actor_id"])}) for row in page.items
    ]
    return AuditPage(items=items, next_cursor=page.next_cursor)
