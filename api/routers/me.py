"""Who am I: lets a client check its key and learn its role and organisation."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentUser
from api.deps import EngineDep
from api.schemas.identities import Me, OrgOut
from services.problems import not_found
from store import identities

router = APIRouter(prefix="/v1", tags=["me"])


@router.get("/me", response_model=Me, summary="The caller's identity", name="get")
async def me(principal: CurrentUser, engine: EngineDep) -> Me:
    async with engine.connect() as conn:
        org = await identities.get_org(conn, principal.org_id)
    if org is None:
        raise not_found("organisation")
    return Me(
        id=principal.user_id,
        name=principal.name,
        email=principal.email,
        role=principal.role,
        organisation=OrgOut.model_validate(org),
    )
