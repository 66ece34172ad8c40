"""Routing rules as rows: ordered per tier by `position`; the domain decides which one matches."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.routing import CONDITIONS, RoutingRule
from store.queue_tables import routing_rules

_FIELDS = ("id", "position", "tier", "group_id", *CONDITIONS)


async def create_rule(
    conn: AsyncConnection, tier: str, group_id: str, conditions: dict[str, Any]
) -> dict[str, Any]:
    """Appended after the tier's last rule (reorder to move it)."""
    last = await conn.execute(select(func.max(routing_rules.c.position)).where(routing_rules.c.tier == tier))
    position = (last.scalar() or 0) + 1
    rule = {"id": str(uuid.uuid4()), "position": position, "tier": tier, "group_id": group_id}
    rule.update({name: conditions.get(name) for name in CONDITIONS})
    await conn.execute(insert(routing_rules).values(rule))
    return rule


async def list_rules(conn: AsyncConnection, tier: str | None = None) -> list[dict[str, Any]]:
    query = select(*(routing_rules.c[f] for f in _FIELDS)).order_by(
        routing_rules.c.tier, routing_rules.c.position, routing_rules.c.id
    )
    if tier is not None:
        query = query.where(routing_rules.c.tier == tier)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def load_rules(conn: AsyncConnection, tier: str) -> list[RoutingRule]:
    return [RoutingRule(**rule) for rule in await list_rules(conn, tier)]


async def reorder(conn: AsyncConnection, tier: str, ids: list[str]) -> bool:
    """Give the tier's rules the order of `ids`; False unless `ids` are exactly the tier's rules."""
    current = {r["id"] for r in await list_rules(conn, tier)}
    if set(ids) != current or len(ids) != len(current):
        return False
    for position, rule_id in enumerate(ids, start=1):
        await conn.execute(
            update(routing_rules).where(routing_rules.c.id == rule_id).values(position=position)
        )
    return True


async def delete_rule(conn: AsyncConnection, rule_id: str) -> bool:
    result = await conn.execute(delete(routing_rules).where(routing_rules.c.id == rule_id))
    return bool(result.rowcount)
