"""Calendars and SLA policies: versioned, validated, and rolled out to open tickets by a workflow."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import require_roles
from api.context import ContextDep
from api.deps import EngineDep, SettingsDep, TemporalDep
from api.pagination import Cursor, Limit
from api.schemas.sla import CalendarIn, CalendarOut, CalendarPage, PolicyIn, PolicyOut, PolicyPage, RolloutOut
from domain.actors import Role
from domain.calendar import BusinessCalendar, CalendarError
from domain.sla_rollout import rollout_workflow_id
from infra.log import get_logger
from services.audit import audit
from services.pagination import Page, decode_cursor, page_of
from services.policy_rollout import rollout_progress, start_rollout
from services.problems import Problem, not_found
from store import sla_store

router = APIRouter(prefix="/v1/admin", tags=["sla"], dependencies=[require_roles(Role.ADMIN)])
log = get_logger(__name__)
NAME = r"^[a-z0-9][a-z0-9-]{0,63}$"


def _check_name(name: str) -> None:
    if not re.match(NAME, name):
        raise Problem(422, "name: lowercase letters, digits and dashes", errors=[{"field": "name"}])


def _validate_calendar(doc: dict[str, Any]) -> None:
    try:
        BusinessCalendar.from_spec(sla_store.resolve_calendar(doc))
    except (CalendarError, ValueError) as exc:
        raise Problem(422, f"calendar: {exc}", errors=[{"field": "calendar", "message": str(exc)}]) from exc


async def _latest_page(engine: AsyncEngine, kind: str, limit: int, cursor: str | None) -> Page[Any]:
    after = decode_cursor(cursor, (str,))
    async with engine.connect() as conn:
        rows = await sla_store.list_latest(conn, kind, limit + 1, after[0] if after else None)
    return page_of(rows, limit, lambda row: (row[0],))


@router.get("/calendars", response_model=CalendarPage, summary="List calendars (latest versions, by name)")
async def list_calendars(engine: EngineDep, limit: Limit = 25, cursor: Cursor = None) -> CalendarPage:
    page = await _latest_page(engine, "calendar", limit, cursor)
    items = [CalendarOut(name=name, version=version, **doc) for name, version, doc in page.items]
    return CalendarPage(items=items, next_cursor=page.next_cursor)


@router.get(
    "/sla-policies", response_model=PolicyPage, summary="List SLA policies (latest versions, by name)"
)
async def list_policies(engine: EngineDep, limit: Limit = 25, cursor: Cursor = None) -> PolicyPage:
    page = await _latest_page(engine, "policy", limit, cursor)
    items = [PolicyOut(name=name, version=version, **doc) for name, version, doc in page.items]
    return PolicyPage(items=items, next_cursor=page.next_cursor)


@router.get("/calendars/{name}", response_model=CalendarOut, summary="A business-hours calendar")
async def get_calendar(name: str, engine: EngineDep) -> CalendarOut:
    async with engine.connect() as conn:
        found = await sla_store.get_calendar(conn, name)
    if found is None:
        raise not_found("calendar")
    return CalendarOut(name=name, version=found[0], **found[1])


@router.put(
    "/calendars/{name}", response_model=CalendarOut, summary="Create or replace a calendar (new version)"
)
async def put_calendar(name: str, body: CalendarIn, context: ContextDep) -> CalendarOut:
    _check_name(name)
    doc = body.model_dump(mode="json")
    _validate_calendar(doc)
    async with context.engine.begin() as conn:
        version = await sla_store.put_calendar(conn, name, doc)
        await audit(context, "calendar.changed", f"calendar:{name}", {"version": version, **doc}, conn)
    return CalendarOut(name=name, version=version, **doc)


@router.get("/sla-policies/{name}", response_model=PolicyOut, summary="An SLA policy")
async def get_policy(name: str, engine: EngineDep) -> PolicyOut:
    async with engine.connect() as conn:
        found = await sla_store.get_policy_doc(conn, name)
    if found is None:
        raise not_found("policy")
    return PolicyOut(name=name, version=found[0], **found[1])


def _validate_rules(body: PolicyIn) -> None:
    general = {r.severity for r in body.rules if r.product is None and r.module is None and r.kind is None}
    missing = sorted({1, 2, 3, 4} - general)
    if missing:
        raise Problem(
            422,
            "rules: a rule without product/module/kind is needed for severity "
            + ", ".join(map(str, missing)),
            errors=[{"field": "rules", "message": "every severity needs a general rule"}],
        )


@router.put(
    "/sla-policies/{name}",
    response_model=PolicyOut,
    status_code=202,
    summary="Create or replace a policy (new version); its rollout to open tickets runs as a workflow",
)
async def put_policy(
    name: str,
    body: PolicyIn,
    context: ContextDep,
    client: TemporalDep,
    settings: SettingsDep,
    response: Response,
) -> PolicyOut:
    """Open tickets on this policy keep the business time they used and are re-targeted, durably:
    the answer says where to watch the rollout (`rollout_url`, and the workflow id for the UI)."""
    _check_name(name)
    _validate_rules(body)
    doc = body.model_dump(mode="json")
    async with context.engine.begin() as conn:
        if await sla_store.get_calendar(conn, body.calendar) is None:
            raise Problem(
                422, f"calendar: no calendar named {body.calendar!r}", errors=[{"field": "calendar"}]
            )
        version = await sla_store.put_policy(conn, name, doc)
        await audit(context, "sla_policy.changed", f"sla_policy:{name}", {"version": version, **doc}, conn)
        policy = await sla_store.build_policy(conn, name)
    assert policy is not None
    workflow_id = await start_rollout(client, settings, policy)
    url = f"/v1/admin/sla-policies/{name}/versions/{version}/rollout"
    response.headers["Location"] = url
    return PolicyOut(name=name, version=version, rollout_workflow_id=workflow_id, rollout_url=url, **doc)


@router.get(
    "/sla-policies/{name}/versions/{version}/rollout",
    response_model=RolloutOut,
    summary="How far a policy version's rollout to open tickets got (applied / total / failed)",
)
async def get_rollout(name: str, version: int, client: TemporalDep) -> RolloutOut:
    progress = await rollout_progress(client, name, version)
    if progress is None:
        raise not_found("rollout")
    return RolloutOut(
        workflow_id=rollout_workflow_id(name, version),
        policy=progress.policy,
        version=progress.version,
        total=progress.total,
        applied=progress.applied,
        failed=progress.failed,
        done=progress.done,
    )
