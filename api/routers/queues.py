"""Queues: the counts per group for staff; groups, members and routing rules for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import require_roles
from api.context import ContextDep
from api.pagination import Cursor, Limit
from api.schemas.pages import Page
from api.schemas.queues import GroupIn, GroupOut, MemberIn, QueueOut, ReorderIn, RuleIn, RuleOut
from domain.actors import STAFF_ROLES, Role
from domain.ticket.state import Tier
from services import queues
from services.pagination import page_of_listed

router = APIRouter(prefix="/v1/queues", tags=["queues"], dependencies=[require_roles(*STAFF_ROLES)])
admin_router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[require_roles(Role.ADMIN)])


@router.get("", response_model=list[QueueOut], summary="Counts per queue (group)")
async def list_queues(context: ContextDep) -> list[QueueOut]:
    """Open, pending and escalated tickets per group, how many are unassigned or breached, the next
    deadline; `GET /v1/tickets?group=<id>` lists a queue, next SLA deadline first."""
    return [QueueOut.model_validate(q) for q in await queues.counts(context)]


@admin_router.post("/groups", status_code=201, response_model=GroupOut, summary="Create a group")
async def create_group(body: GroupIn, context: ContextDep) -> GroupOut:
    group = await queues.create_group(context, body.name, body.tier.value, body.default)
    return GroupOut.model_validate(group)


class GroupPage(Page[GroupOut]):
    """Groups by name, with their members."""


class RulePage(Page[RuleOut]):
    """Routing rules in the order they are tried."""


@admin_router.get("/groups", response_model=GroupPage, summary="List groups with their members")
async def list_groups(context: ContextDep, limit: Limit = 25, cursor: Cursor = None) -> GroupPage:
    page = page_of_listed(await queues.list_groups(context), limit, cursor)
    return GroupPage(items=[GroupOut.model_validate(g) for g in page.items], next_cursor=page.next_cursor)


@admin_router.post("/groups/{group_id}/members", response_model=GroupOut, summary="Add a member (staff)")
async def add_member(group_id: str, body: MemberIn, context: ContextDep) -> GroupOut:
    return GroupOut.model_validate(await queues.add_member(context, group_id, body.user_id))


@admin_router.delete(
    "/groups/{group_id}/members/{user_id}", response_model=GroupOut, summary="Remove a member"
)
async def remove_member(group_id: str, user_id: str, context: ContextDep) -> GroupOut:
    return GroupOut.model_validate(await queues.remove_member(context, group_id, user_id))


@admin_router.post("/routing-rules", status_code=201, response_model=RuleOut, summary="Add a routing rule")
async def create_rule(body: RuleIn, context: ContextDep) -> RuleOut:
    """Appended last in its tier; first match wins, no L1 match: the default group."""
    conditions = body.model_dump(mode="json", exclude={"group_id", "tier"})
    rule = await queues.create_rule(context, body.tier.value, body.group_id, conditions)
    return RuleOut.model_validate(rule)


@admin_router.get("/routing-rules", response_model=RulePage, summary="List routing rules in order")
async def list_rules(
    context: ContextDep,
    tier: Annotated[Tier | None, Query()] = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> RulePage:
    page = page_of_listed(await queues.list_rules(context, tier.value if tier else None), limit, cursor)
    return RulePage(items=[RuleOut.model_validate(r) for r in page.items], next_cursor=page.next_cursor)


@admin_router.put("/routing-rules/order", response_model=list[RuleOut], summary="Reorder a tier's rules")
async def reorder_rules(body: ReorderIn, context: ContextDep) -> list[RuleOut]:
    rules = await queues.reorder_rules(context, body.tier.value, body.ids)
    return [RuleOut.model_validate(r) for r in rules]


@admin_router.delete("/routing-rules/{rule_id}", status_code=204, summary="Delete a routing rule")
async def delete_rule(rule_id: str, context: ContextDep) -> Response:
    await queues.delete_rule(context, rule_id)
    return Response(status_code=204)
