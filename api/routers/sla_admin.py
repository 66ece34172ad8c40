"""Calendars and SLA policies: versioned, validated, and applied to open tickets on change."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.auth import require_roles
from api.context import ContextDep
from api.deps import EngineDep, TemporalDep
from api.pagination import Cursor, Limit
from api.schemas.sla import CalendarIn, CalendarOut, CalendarPage, PolicyIn, PolicyOut, PolicyPage
from domain.actors import Role
from domain.calendar import BusinessCalendar, CalendarError
from domain.sla import SlaPolicy
from infra.log import get_logger
from services.audit import audit
from services.pagination import Page, decode_cursor, page_of
from services.problems import Problem, not_found
from store import sla_store
from store.tables import tickets
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import ticket_workflow_id

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
    "/sla-policies/{name}", response_model=PolicyOut, summary="Create or replace a policy (new version)"
)
async def put_policy(name: str, body: PolicyIn, context: ContextDep, client: TemporalDep) -> PolicyOut:
    """Open tickets on this policy keep the business time they used and are re-targeted."""
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
        open_ids = (
            (
                await conn.execute(
                    select(tickets.c.id).where(tickets.c.sla_policy == name, tickets.c.status != "closed")
                )
            )
            .scalars()
            .all()
        )
    assert policy is not None
    applied = await _apply_to_tickets(client, policy, list(open_ids))
    return PolicyOut(name=name, version=version, applied_to_open_tickets=applied, **doc)


async def _apply_to_tickets(client: Client, policy: SlaPolicy, ticket_ids: list[int]) -> int:
    """Signal each open ticket; a ticket that closed meanwhile is skipped."""
    limit = asyncio.Semaphore(20)

    async def one(ticket_id: int) -> bool:
        async with limit:
            try:
                handle = client.get_workflow_handle(ticket_workflow_id(ticket_id))
                await handle.signal(TicketWorkflow.policy_changed, policy)
                return True
            except Exception as exc:
                log.warning("policy change not delivered", ticket_id=ticket_id, error=str(exc))
                return False

    results = await asyncio.gather(*(one(t) for t in ticket_ids))
    return sum(results)
