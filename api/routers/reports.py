"""Reports: satisfaction by organisation, period and agent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.context import ContextDep
from api.schemas.reports import SatisfactionRow
from services import reports

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/satisfaction",
    response_model=list[SatisfactionRow],
    summary="Survey answers by org and agent",
    name="satisfaction",
)
async def satisfaction_report(
    context: ContextDep,
    org_id: Annotated[str | None, Query(max_length=36)] = None,
    agent_id: Annotated[str | None, Query(max_length=36)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[SatisfactionRow]:
    """Staff see every organisation; org admins their own; customers none."""
    rows = await reports.satisfaction(context, org_id, agent_id, since, until)
    return [SatisfactionRow.model_validate(r) for r in rows]
