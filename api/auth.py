"""API-key authentication and role checks. Visibility is not decided here: see services/access.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError, OperationalError

from api.deps import EngineDep
from api.rate_limit import charge_principal
from domain.actors import Role
from services.problems import Problem, unavailable
from store.identities import Principal, principal_for_key
from store.support_access import SUPPORT_TOKEN_PREFIX, principal_for_support_token

bearer = HTTPBearer(auto_error=False, description="An Escalator API key: `Authorization: Bearer esc_…`")


async def authenticate(
    request: Request,
    engine: EngineDep,
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
        async with engine.connect() as conn:
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
    request.state.principal = principal  # for the request log
    charge_principal(request, principal)  # after authentication: by who the caller is, not the bearer
    return principal


CurrentUser = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Any:
    """A dependency that lets only the given roles through (403: the caller is known but not allowed)."""

    async def _check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise Problem(
                403,
                f"this action needs one of the roles: {', '.join(r.value for r in roles)}",
                type_="/problems/forbidden",
            )
        return principal

    return Depends(_check)
