"""The directory: staff find people (`GET /v1/users?q=`) and organisations (`GET /v1/orgs?q=`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.context import ContextDep
from api.pagination import Cursor, Limit
from api.schemas.identities import OrgOut, OrgPage, UserOut, UserPage
from domain.actors import Role
from services import directory

users_router = APIRouter(prefix="/v1/users", tags=["users"])
orgs_router = APIRouter(prefix="/v1/orgs", tags=["orgs"])

Q = Annotated[str | None, Query(min_length=1, max_length=200, description="part of a name or e-mail")]


@users_router.get("", response_model=UserPage, summary="Find people by name or e-mail (staff)", name="list")
async def find_users(
    context: ContextDep,
    q: Q = None,
    org_id: Annotated[str | None, Query(max_length=36)] = None,
    role: Annotated[list[Role] | None, Query(max_length=5)] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> UserPage:
    """The exact e-mail first, then names or e-mails starting with `q`, then any containing it;
    customers of every organisation and staff. Customers and org admins: 403."""
    query = directory.UserQuery(q=q, org_id=org_id, roles=tuple(r.value for r in role) if role else None)
    page = await directory.find_users(context, query, limit, cursor)
    return UserPage(items=[UserOut.model_validate(u) for u in page.items], next_cursor=page.next_cursor)


@orgs_router.get("", response_model=OrgPage, summary="Find organisations by name (staff)", name="list")
async def find_orgs(context: ContextDep, q: Q = None, limit: Limit = 25, cursor: Cursor = None) -> OrgPage:
    """The exact slug first, then names or slugs starting with `q`, then any containing it."""
    page = await directory.find_orgs(context, q, limit, cursor)
    return OrgPage(items=[OrgOut.model_validate(o) for o in page.items], next_cursor=page.next_cursor)
