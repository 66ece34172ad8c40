"""Where a transfer goes: the group named in the request (at that group's tier), or on a transfer to
L2 without one, the product owner's group (seed 004: the P.O. re-evaluates the problem)."""

from __future__ import annotations

from typing import Any

from domain.routing import TicketFacts
from domain.ticket.state import Tier
from services.commands import TicketRef, visible
from services.context import Context
from services.queues import existing_group
from services.routing import owner_group


async def transfer_target(
    context: Context, ticket_id: int, tier: Tier, group_id: str | None
) -> dict[str, Any]:
    """The command's `tier` and `group_id`; 404 for an invisible ticket before a 422 for the group."""
    snapshot = await visible(context, TicketRef(ticket_id))
    async with context.engine.connect() as conn:
        if group_id is not None:
            group = await existing_group(conn, group_id)
            return {"tier": Tier(group["tier"]), "group_id": group_id}
        if tier is not Tier.L2:
            return {"tier": tier, "group_id": None}
        facts = TicketFacts(
            snapshot.get("product"),
            snapshot.get("module"),
            snapshot["kind"],
            snapshot["org_id"],
            snapshot["channel"],
        )
        owner = await owner_group(conn, facts)
    return {"tier": tier, "group_id": str(owner["id"]) if owner else None}
