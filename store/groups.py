"""Groups of agents and their members (queues): reads and writes for the admin API and routing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.queue_tables import group_members, groups


async def create_group(
    conn: AsyncConnection, name: str, tier: str, is_default: bool = False
) -> dict[str, Any]:
    """A new group; making it the default takes that role from the previous default."""
    if is_default:
        await conn.execute(update(groups).where(groups.c.is_default).values(is_default=False))
    group = {"id": str(uuid.uuid4()), "name": name, "tier": tier, "is_default": is_default}
    await conn.execute(insert(groups).values(group))
    return {**group, "members": []}


async def get_group(conn: AsyncConnection, group_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(groups).where(groups.c.id == group_id))).mappings().first()
    if row is None:
        return None
    return {**dict(row), "members": await member_ids(conn, group_id)}


async def list_groups(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every group with its members' ids, by name."""
    rows = (await conn.execute(select(groups).order_by(groups.c.name))).mappings().all()
    members = await conn.execute(select(group_members).order_by(group_members.c.user_id))
    by_group: dict[str, list[str]] = {}
    for m in members:
        by_group.setdefault(m.group_id, []).append(m.user_id)
    return [{**dict(r), "members": by_group.get(r["id"], [])} for r in rows]


async def default_group_id(conn: AsyncConnection) -> str | None:
    found = await conn.execute(select(groups.c.id).where(groups.c.is_default))
    value = found.scalar()
    return str(value) if value else None


async def member_ids(conn: AsyncConnection, group_id: str) -> list[str]:
    rows = await conn.execute(
        select(group_members.c.user_id)
        .where(group_members.c.group_id == group_id)
        .order_by(group_members.c.user_id)
    )
    return [str(r) for r in rows.scalars()]


async def add_member(conn: AsyncConnection, group_id: str, user_id: str) -> None:
    """Idempotent: adding a member twice leaves one membership."""
    statement = pg_insert(group_members).values(group_id=group_id, user_id=user_id)
    await conn.execute(statement.on_conflict_do_nothing())


async def remove_member(conn: AsyncConnection, group_id: str, user_id: str) -> bool:
    result = await conn.execute(
        delete(group_members).where(group_members.c.group_id == group_id, group_members.c.user_id == user_id)
    )
    return bool(result.rowcount)
