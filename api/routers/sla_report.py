"""SLA compliance report: `GET /v1/reports/sla?from=&to=&group_by=&format=json|csv` (staff only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.auth import CurrentUser
from api.deps import EngineDep
from domain.actors import is_staff
from domain.sla_report.aggregate import GroupStats
from domain.sla_report.csv_export import report_csv
from domain.sla_report.period import PeriodRefused, period
from services.problems import Problem, forbidden
from store.sla_report import sla_report

router = APIRouter(prefix="/v1/reports", tags=["reports"])
GroupBy = Literal["policy", "severity", "org", "group", "agent"]


class ClockStatsOut(BaseModel):
    met: int
    breached: int
    met_pct: float | None
    median_seconds: float | None
    p90_seconds: float | None


class BreachOut(BaseModel):
    ticket_id: int
    clock: str
    due: str | None
    recorded_at: str | None
    link: str


class SlaGroupOut(BaseModel):
    key: str | None
    tickets: int
    first_response: ClockStatsOut
    resolution: ClockStatsOut
    breaches: list[BreachOut]


class SlaReportOut(BaseModel):
    from_: datetime = Field(serialization_alias="from")
    to: datetime
    group_by: str
    groups: list[SlaGroupOut]


def _group_out(g: GroupStats) -> SlaGroupOut:
    return SlaGroupOut.model_validate(
        {
            "key": g.key,
            "tickets": g.tickets,
            "first_response": vars(g.first_response),
            "resolution": vars(g.resolution),
            "breaches": [{**vars(b), "link": f"/v1/tickets/{b.ticket_id}"} for b in g.breaches],
        }
    )


@router.get(
    "/sla",
    response_model=SlaReportOut,
    summary="SLA compliance of the tickets created in a period, grouped",
    responses={200: {"content": {"text/csv": {}}}},
)
async def sla_compliance(
    principal: CurrentUser,
    engine: EngineDep,
    from_: Annotated[datetime, Query(alias="from", description="start, inclusive (with offset)")],
    to: Annotated[datetime, Query(description="end, exclusive; at most 366 days after `from`")],
    group_by: GroupBy = "policy",
    format: Literal["json", "csv"] = "json",
) -> SlaReportOut | Response:
    """Met %, median and p90 business time to first response and to resolution, and the breaches."""
    if not is_staff(principal.role):
        raise forbidden("the SLA report is for support staff")
    try:
        covered = period(from_, to)
    except PeriodRefused as exc:
        raise Problem(422, str(exc), errors=[{"field": str(exc).split(":")[0]}]) from exc
    async with engine.connect() as conn:
        groups = await sla_report(conn, covered, group_by)
    if format == "csv":
        return Response(report_csv(group_by, groups), media_type="text/csv; charset=utf-8")
    return SlaReportOut(from_=from_, to=to, group_by=group_by, groups=[_group_out(g) for g in groups])
