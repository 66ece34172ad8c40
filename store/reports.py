"""Reports over the read model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.scope import Scope, ticket_visible
from store.tables import ticket_events, tickets


async def satisfaction(
    conn: AsyncConnection,
    scope: Scope,
    org_id: str | None,
    agent_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[dict[str, Any]]:
    """Answers to the survey grouped by organisation and by the agent the ticket was assigned to,
    over the tickets the scope admits. An answer given through support access is not the customer's
    (refused since; older ones may be in the read model) and is left out."""
    satisfied = cast(ticket_events.c.data["satisfied"].as_boolean(), Integer)
    agent = ticket_events.c.data["assignee_id"].as_string()
    query = (
        select(
            tickets.c.org_id,
            agent.label("agent_id"),
            func.count().label("answers"),
            func.sum(satisfied).label("satisfied"),
        )
        .join(tickets, tickets.c.id == ticket_events.c.ticket_id)
        .where(
            ticket_events.c.type == "feedback_given",
            ticket_events.c.on_behalf_of.is_(None),
            ticket_visible(scope),
        )
        .group_by(tickets.c.org_id, agent)
        .order_by(tickets.c.org_id, agent)
    )
    if org_id:
        query = query.where(tickets.c.org_id == org_id)
    if agent_id:
        query = query.where(agent == agent_id)
    if since:
        query = query.where(ticket_events.c.at >= since)
    if until:
        query = query.where(ticket_events.c.at < until)
    rows = await conn.execute(query)
    return [
        {
            "org_id": r.org_id,
            "agent_id": r.agent_id,
            "answers": int(r.answers),
            "satisfied": int(r.satisfied or 0),
            "satisfaction_rate": round(int(r.satisfied or 0) / int(r.answers), 3),
        }
        for r in rows
    ]
