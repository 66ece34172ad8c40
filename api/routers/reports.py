"""Reports: satisfaction by organisation, period and agent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.auth import CurrentUser, is_staff
from api.deps import EngineDep
from api.problems import Problem
from store.reports import satisfaction

router = APIRouter(prefix="/v1/reports", tags=["reports"])


class SatisfactionRow(BaseModel):
    org_id: str
    agent_id: str | None
    answers: int
    satisfied: int
    satisfaction_rate: float


@router.get("/satisfaction", response_model=list[SatisfactionRow], summary="Survey answers by org and agent")
async def satisfaction_report(
    principal: CurrentUser,
    engine: EngineDep,
    org_id: Annotated[str | None, Query(max_length=36)] = None,
    agent_id: Annotated[str | None, Query(max_length=36)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[SatisfactionRow]:
    """Staff see every organisation; org admins their own; customers none."""
    if principal.role == "org_admin":
        org_id = principal.org_id
    elif not is_staff(principal):
        raise Problem(403, "reports are for staff and organisation admins")
    async with engine.connect() as conn:
        rows = await satisfaction(conn, org_id, agent_id, since, until)
    return [SatisfactionRow.model_validate(r) for r in rows]
