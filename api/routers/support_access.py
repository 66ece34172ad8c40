"""Support access endpoints: a user grants and revokes; staff list grants and obtain tokens.

Grants go through the user's SupportAccessWorkflow (update-with-start: the first grant starts a
run, a later one reaches the running one), which owns the expiry timer and the audit trail. Tokens
are issued against the projected grant and checked on every request by `api.auth`; the rules live in
`services.support_access`, shared with the web pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.auth import require_roles
from api.context import ContextDep
from api.deps import EngineDep
from api.pagination import Cursor, Limit
from api.schemas.support_access import ActiveGrantList, ActiveGrantOut, GrantIn, GrantOut, TokenOut
from domain.actors import Role
from domain.support_access.grant import SupportAccessState
from services import support_access as grants
from services.pagination import decode_cursor, page_of
from store import support_access as store
from store.identities import Principal

router = APIRouter(tags=["support access"])

Granting = Annotated[Principal, require_roles(Role.CUSTOMER, Role.ORG_ADMIN)]
Minting = Annotated[Principal, require_roles(Role.AGENT, Role.ADMIN)]
Staff = Annotated[Principal, require_roles(Role.AGENT, Role.ENGINEER, Role.ADMIN)]


def grant_out(state: SupportAccessState) -> GrantOut:
    return GrantOut(
        user_id=state.user_id,
        status=state.status.value,
        granted_at=state.granted_at,
        expires_at=state.expires_at,
        revoked_at=state.revoked_at,
    )


@router.put("/v1/me/support-access", response_model=GrantOut, summary="Grant support staff access to me")
async def grant(body: GrantIn, principal: Granting, context: ContextDep) -> GrantOut:
    """Staff may act as you for `hours` (1 to 168) from now; a grant while one is active replaces it."""
    return grant_out(await grants.grant(context, body.hours))


@router.get("/v1/me/support-access", response_model=GrantOut, summary="My support-access grant")
async def my_grant(context: ContextDep) -> GrantOut:
    return GrantOut.model_validate(await grants.current_grant(context))


@router.delete("/v1/me/support-access", status_code=204, summary="Revoke support staff access to me")
async def revoke(context: ContextDep) -> Response:
    """Tokens issued under the grant are refused as soon as this answers."""
    await grants.revoke(context)
    return Response(status_code=204)


@router.post(
    "/v1/support-access/{user_id}/tokens",
    status_code=201,
    response_model=TokenOut,
    summary="Obtain a token to act as a user who granted access (agents, admins)",
)
async def issue_token(
    user_id: Annotated[str, Path(max_length=36)], principal: Minting, engine: EngineDep, response: Response
) -> TokenOut:
    """404 alike for an unknown user and for one without a valid grant: ids must not leak."""
    async with engine.begin() as conn:
        issued = await store.issue_token(conn, user_id, principal.user_id)
    if issued is None:
        raise grants.no_active_grant()
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(token=issued.token, expires_at=issued.expires_at, user_id=issued.user_id)


@router.get("/v1/support-access", response_model=ActiveGrantList, summary="Valid grants (staff)", name="list")
async def active_grants(
    principal: Staff, engine: EngineDep, limit: Limit = 25, cursor: Cursor = None
) -> ActiveGrantList:
    after = decode_cursor(cursor, (datetime, str))
    async with engine.connect() as conn:
        rows = await store.list_active_grants(conn, limit + 1, after)
    page = page_of(rows, limit, lambda row: (row["expires_at"], row["user_id"]))
    items = [ActiveGrantOut.model_validate(r) for r in page.items]
    return ActiveGrantList(items=items, next_cursor=page.next_cursor)
