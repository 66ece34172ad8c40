"""Macros as rows: name, optional group, reply text and actions (JSON in `MacroActions`' shape)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.queue_tables import macros


async def create_macro(
    conn: AsyncConnection,
    name: str,
    group_id: str | None,
    reply: str | None,
    internal: bool,
    actions: dict[str, Any],
) -> dict[str, Any]:
    macro = {
        "id": str(uuid.uuid4()),
        "name": name,
        "group_id": group_id,
        "reply": reply,
        "internal": internal,
        "actions": actions,
    }
    await conn.execute(insert(macros).values(macro))
    return macro


async def get_macro(conn: AsyncConnection, macro_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(macros).where(macros.c.id == macro_id))).mappings().first()
    return dict(row) if row else None


async def list_macros(conn: AsyncConnection, group_id: str | None = None) -> list[dict[str, Any]]:
    """Every macro, or those a group's tickets are offered (the group's plus the global ones)."""
    query = select(macros).order_by(macros.c.name)
    if group_id is not None:
        query = query.where(or_(macros.c.group_id.is_(None), macros.c.group_id == group_id))
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def delete_macro(conn: AsyncConnection, macro_id: str) -> bool:
    return bool((await conn.execute(delete(macros).where(macros.c.id == macro_id))).rowcount)
