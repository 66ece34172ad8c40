"""API-key authentication and the access rules every route shares."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError, OperationalError

from api.problems import Problem, not_found, unavailable
from domain.actors import CUSTOMER_ROLES, STAFF_ROLES, Role
from store.identities import Principal, principal_for_key
from store.support_access import SUPPORT_TOKEN_PREFIX, principal_for_support_token

bearer = HTTPBearer(auto_error=False, description="An Escalator API key: `Authorization: Bearer esc_…`")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Resolve the bearer key to its user; 401 for a missing, unknown, revoked or expired key."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Problem(
            401,
            "an API key is required",
            type_="/problems/unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        async with request.app.state.engine.connect() as conn:
            principal = await principal_for_key(conn, credentials.credentials)
            if principal is None and credentials.credentials.startswith(SUPPORT_TOKEN_PREFIX):
                principal = await principal_for_support_token(conn, credentials.credentials)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise unavailable("postgres") from exc
    if principal is None:
        raise Problem(
            401,
            "the API key is unknown, revoked or expired",
            type_="/problems/unauthorized",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(authenticate)]


def role_of(principal: Principal) -> Role:
    return Role(principal.role)


def is_staff(principal: Principal) -> bool:
    return role_of(principal) in STAFF_ROLES


def require_roles(*roles: Role) -> Any:
    """A dependency that lets only the given roles through (403: the caller is known but not allowed)."""

    async def _check(principal: CurrentUser) -> Principal:
        if role_of(principal) not in roles:
            raise Problem(
                403,
                f"this action needs one of the roles: {', '.join(r.value for r in roles)}",
                type_="/problems/forbidden",
            )
        return principal

    return Depends(_check)


def can_see_ticket(principal: Principal, snapshot: dict[str, Any]) -> bool:
    """Staff see all; org admins their organisation; customers the tickets they requested or are cc'd on."""
    role = role_of(principal)
    if role in STAFF_ROLES:
        return True
    if snapshot.get("org_id") != principal.org_id:
        return False
    if role is Role.ORG_ADMIN:
        return True
    assert role in CUSTOMER_ROLES
    return snapshot.get("requester_id") == principal.user_id or principal.user_id in snapshot.get("cc", [])


def ensure_visible(principal: Principal, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """404, never 403, for tickets outside the caller's reach: ids must not leak."""
    if snapshot is None or not can_see_ticket(principal, snapshot):
        raise not_found()
    return snapshot
