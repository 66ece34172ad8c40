"""Groups (queues), their members and routing rules for admins; the counts per queue for staff.

Every refusal names the field at fault (422): a member who is not a staff user, a rule for a group
that does not exist, a reorder that does not list exactly the tier's rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import Role, is_staff
from services.context import Context
from services.problems import Problem, not_found
from store import groups as group_store
from store import identities
from store import routing_rules as rule_store
from store.queue_counts import queue_counts


def unknown(field: str, what: str) -> Problem:
    return Problem(422, f"{field}: no such {what}", errors=[{"field": field, "message": f"unknown {what}"}])


async def create_group(context: Context, name: str, tier: str, is_default: bool) -> dict[str, Any]:
    try:
        async with context.engine.begin() as conn:
            return await group_store.create_group(conn, name, tier, is_default)
    except IntegrityError as exc:
        raise Problem(409, f"a group named {name!r} exists", type_="/problems/conflict") from exc


async def list_groups(context: Context) -> list[dict[str, Any]]:
    async with context.engine.connect() as conn:
        return await group_store.list_groups(conn)


async def existing_group(conn: AsyncConnection, group_id: str, field: str = "group_id") -> dict[str, Any]:
    """The group, or a 422 naming `field` (for ids given in a body)."""
    group = await group_store.get_group(conn, group_id)
    if group is None:
        raise unknown(field, "group")
    return group


async def check_staff_user(conn: AsyncConnection, context: Context, user_id: str, field: str) -> None:
    user = await identities.get_user(conn, context.scope, user_id)
    if user is None or not is_staff(Role(user["role"])):
        raise unknown(field, "staff user")


async def add_member(context: Context, group_id: str, user_id: str) -> dict[str, Any]:
    async with context.engine.begin() as conn:
        if await group_store.get_group(conn, group_id) is None:
            raise not_found("group")
        await check_staff_user(conn, context, user_id, "user_id")
        await group_store.add_member(conn, group_id, user_id)
        return await existing_group(conn, group_id)


async def remove_member(context: Context, group_id: str, user_id: str) -> dict[str, Any]:
    async with context.engine.begin() as conn:
        if await group_store.get_group(conn, group_id) is None:
            raise not_found("group")
        if not await group_store.remove_member(conn, group_id, user_id):
            raise not_found("member")
        return await existing_group(conn, group_id)


async def create_rule(
    context: Context, tier: str, group_id: str, conditions: dict[str, Any]
) -> dict[str, Any]:
    async with context.engine.begin() as conn:
        await existing_group(conn, group_id)
        return await rule_store.create_rule(conn, tier, group_id, conditions)


async def list_rules(context: Context, tier: str | None = None) -> list[dict[str, Any]]:
    async with context.engine.connect() as conn:
        return await rule_store.list_rules(conn, tier)


async def reorder_rules(context: Context, tier: str, ids: list[str]) -> list[dict[str, Any]]:
    async with context.engine.begin() as conn:
        if not await rule_store.reorder(conn, tier, ids):
            raise Problem(
                422,
                f"ids: list every {tier} rule exactly once, in the new order",
                errors=[{"field": "ids", "message": "not exactly the tier's rules"}],
            )
        return await rule_store.list_rules(conn, tier)


async def delete_rule(context: Context, rule_id: str) -> None:
    async with context.engine.begin() as conn:
        if not await rule_store.delete_rule(conn, rule_id):
            raise not_found("routing rule")


async def counts(context: Context) -> list[dict[str, Any]]:
    """Per group: open, pending, escalated, unassigned, breached, next deadline."""
    async with context.engine.connect() as conn:
        return await queue_counts(conn, context.scope)
