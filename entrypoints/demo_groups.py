"""The demo queues (for `make dev`): an L1 group that gets every ticket no rule routes, and, as in
seed 004, the product owner's L2 group of each demo product with the L2 rule that finds it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store import groups as group_store
from store import routing_rules
from store.queue_tables import groups
from store.tables import users

L1 = ("L1 Support", "ana@escalator.example")
PRODUCT_OWNERS = {"omni": ("L2 Product: Omni", "enzo@escalator.example")}


async def _group(conn: AsyncConnection, name: str, tier: str, member_email: str) -> tuple[str, bool]:
    """The group's id, and whether it was made now; its demo member added either way."""
    found = (await conn.execute(select(groups.c.id).where(groups.c.name == name))).scalar()
    made = found is None
    group_id = str(found) if found else (await group_store.create_group(conn, name, tier, tier == "L1"))["id"]
    member = (await conn.execute(select(users.c.id).where(users.c.email == member_email))).scalar()
    if member:
        await group_store.add_member(conn, group_id, str(member))
    return group_id, made


async def seed_demo_groups(engine: AsyncEngine) -> None:
    """Idempotent: a second run finds the groups and adds no rule twice."""
    async with engine.begin() as conn:
        await _group(conn, L1[0], "L1", L1[1])
        for product, (name, owner) in PRODUCT_OWNERS.items():
            group_id, made = await _group(conn, name, "L2", owner)
            if made:
                await routing_rules.create_rule(conn, "L2", group_id, {"product": product})
