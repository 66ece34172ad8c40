"""`make dev`'s demo queues, in a database of their own (a default group would route every other
test's tickets): the L1 default group and seed 004's product owner group with its L2 rule, once."""

from __future__ import annotations

from pathlib import Path

from entrypoints.demo_groups import seed_demo_groups
from entrypoints.demo_seed import seed_demo
from infra.embedded_postgres import start_embedded_postgres
from store.db import create_engine
from store.groups import list_groups
from store.migrate import upgrade
from store.routing_rules import list_rules


async def test_demo_groups_are_made_once_with_their_members_and_rule(tmp_path: Path) -> None:
    pg = start_embedded_postgres(tmp_path / "pg")
    try:
        upgrade(pg.url)
        engine = create_engine(pg.url)
        await seed_demo(engine, {})
        await seed_demo_groups(engine)
        await seed_demo_groups(engine)
        async with engine.connect() as conn:
            groups = {g["name"]: g for g in await list_groups(conn)}
            rules = await list_rules(conn)
        await engine.dispose()
    finally:
        pg.stop()
    assert set(groups) == {"L1 Support", "L2 Product: Omni"}
    assert groups["L1 Support"]["is_default"] and len(groups["L1 Support"]["members"]) == 1
    owner = groups["L2 Product: Omni"]
    assert [(r["tier"], r["product"], r["group_id"]) for r in rules] == [("L2", "omni", owner["id"])]
