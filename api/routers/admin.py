"""Administration of organisations, users and API keys (admins only); every change is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.exc import IntegrityError

from api.auth import require_roles
from api.context import ContextDep
from api.pagination import Cursor, Limit
from api.schemas.identities import (
    KeyIn,
    KeyOut,
    OrgIn,
    OrgOut,
    OrgPage,
    OrgPatch,
    UserIn,
    UserOut,
    UserPage,
)
from domain.actors import Role
from services import directory
from services.audit import audit
from services.problems import Problem, not_found
from store import identities, sla_store

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[require_roles(Role.ADMIN)])


@router.post("/orgs", status_code=201, response_model=OrgOut, summary="Create an organisation")
async def create_org(body: OrgIn, context: ContextDep) -> OrgOut:
    try:
        async with context.engine.begin() as conn:
            org = await identities.create_org(conn, body.name, body.slug)
            await audit(context, "org.created", f"org:{org['id']}", body.model_dump(), conn)
    except IntegrityError as exc:
        raise Problem(
            409, f"an organisation with slug {body.slug!r} exists", type_="/problems/conflict"
        ) from exc
    return OrgOut.model_validate(org)


@router.patch("/orgs/{org_id}", response_model=OrgOut, summary="Rename an organisation or set its SLA policy")
async def patch_org(org_id: str, body: OrgPatch, context: ContextDep) -> OrgOut:
    changes = body.model_dump(exclude_unset=True)
    async with context.engine.begin() as conn:
        if changes.get("sla_policy") and await sla_store.get_policy_doc(conn, changes["sla_policy"]) is None:
            raise Problem(422, "sla_policy: no such policy", errors=[{"field": "sla_policy"}])
        org = await identities.update_org(conn, org_id, changes)
        if org is None:
            raise not_found("organisation")
        await audit(context, "org.updated", f"org:{org_id}", changes, conn)
    return OrgOut.model_validate(org)


@router.get("/orgs", response_model=OrgPage, summary="List organisations (by name)")
async def list_orgs(
    context: ContextDep,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> OrgPage:
    page = await directory.find_orgs(context, q, limit, cursor)
    return OrgPage(items=[OrgOut.model_validate(o) for o in page.items], next_cursor=page.next_cursor)


@router.post("/orgs/{org_id}/users", status_code=201, response_model=UserOut, summary="Create a user")
async def create_user(org_id: str, body: UserIn, context: ContextDep) -> UserOut:
    try:
        async with context.engine.begin() as conn:
            if await identities.get_org(conn, org_id) is None:
                raise not_found("organisation")
            user = await identities.create_user(
                conn, org_id, body.name, body.email, body.role.value, body.locale
            )
            details = {"org_id": org_id, "role": body.role.value, "email": body.email}
            await audit(context, "user.created", f"user:{user['id']}", details, conn)
    except IntegrityError as exc:
        raise Problem(409, "a user with this e-mail exists", type_="/problems/conflict") from exc
    return UserOut.model_validate(user)


@router.get("/users", response_model=UserPage, summary="List users (by name)")
async def list_users(
    context: ContextDep,
    org_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> UserPage:
    page = await directory.find_users(context, directory.UserQuery(org_id=org_id), limit, cursor)
    return UserPage(items=[UserOut.model_validate(u) for u in page.items], next_cursor=page.next_cursor)


@router.post("/users/{user_id}/keys", status_code=201, response_model=KeyOut, summary="Issue an API key")
async def issue_key(user_id: str, body: KeyIn, context: ContextDep) -> KeyOut:
    """The key is in this response only; Escalator keeps its hash (the audit log keeps neither)."""
    async with context.engine.begin() as conn:
        if await identities.get_user(conn, context.scope, user_id) is None:
            raise not_found("user")
        key, record = await identities.issue_key(conn, user_id, body.name, body.expires_at)
        details = {"user_id": user_id, "name": body.name, "prefix": record["prefix"]}
        await audit(context, "key.issued", f"key:{record['id']}", details, conn)
    return KeyOut(**record, key=key)


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke an API key")
async def revoke_key(key_id: str, context: ContextDep) -> Response:
    async with context.engine.begin() as conn:
        if not await identities.revoke_key(conn, key_id):
            raise not_found("key")
        await audit(context, "key.revoked", f"key:{key_id}", {}, conn)
    return Response(status_code=204)
