"""Which group a ticket goes to: at creation (L1 rules, else the default group) and on a transfer to
L2 (the product owner's group, seed 004). The rules live in Postgres; matching is `domain.routing`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.routing import TicketFacts, route
from store.groups import default_group_id, get_group
from store.routing_rules import load_rules


async def group_for_new_ticket(conn: AsyncConnection, facts: TicketFacts) -> str | None:
    """First matching L1 rule wins; no match: the default group (None when there is none)."""
    return route(await load_rules(conn, "L1"), facts, await default_group_id(conn))


async def owner_group(conn: AsyncConnection, facts: TicketFacts) -> dict[str, object] | None:
    """The L2 group that owns the ticket's product (first matching L2 rule), or None."""
    group_id = route(await load_rules(conn, "L2"), facts, None, tier="L2")
    return await get_group(conn, group_id) if group_id else None
