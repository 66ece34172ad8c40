"""The names of the people on a ticket the caller may read: requester, cc, assignee, message authors.

Why a service: a customer's scope does not list support staff, yet seed 002's ticket page names the
assigned representative; once the ticket itself has passed the caller's scope, the names of those on
it are part of what they may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.context import Context
from store.identities import names_of


async def names_on_ticket(
    context: Context, snapshot: dict[str, Any], timeline: Iterable[dict[str, Any]] = ()
) -> dict[str, str]:
    """user id → name for everyone the (already visible) ticket or its public events mention."""
    ids = {snapshot.get("requester_id"), snapshot.get("assignee_id"), *snapshot.get("cc", [])}
    ids.update(event.get("actor_id") for event in timeline)
    async with context.engine.connect() as conn:
        return await names_of(conn, [i for i in ids if i])


async def requester_names(context: Context, tickets: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Names for a list's "Requester" column: only the requesters of the rows shown."""
    async with context.engine.connect() as conn:
        return await names_of(conn, [t["requester_id"] for t in tickets])
