"""Counts per queue (group): what a team lead looks at first.

One statement: every group, with its open, pending and escalated tickets, how many of those nobody
is assigned, how many breached their SLA, and the next deadline. Tickets that belong to no group
(opened before groups existed, or with no default group) come as one row without an id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.queue_tables import groups
from store.scope import Scope, ticket_visible
from store.tables import tickets

LIVE = ("open", "pending", "escalated")


def _counts() -> list[Any]:
    t = tickets.c
    return [
        func.count(t.id).filter(t.status == "open").label("open"),
        func.count(t.id).filter(t.status == "pending").label("pending"),
        func.count(t.id).filter(t.status == "escalated").label("escalated"),
        func.count(t.id).filter(t.assignee_id.is_(None)).label("unassigned"),
        func.count(t.id).filter(t.sla_breached).label("breached"),
        func.min(t.sla_next_due).label("next_deadline"),
    ]


async def queue_counts(conn: AsyncConnection, scope: Scope) -> list[dict[str, Any]]:
    """Per group (by tier, then name), then the tickets of no group if there are any."""
    live = and_(tickets.c.group_id == groups.c.id, tickets.c.status.in_(LIVE), ticket_visible(scope))
    grouped = (
        select(groups.c.id, groups.c.name, groups.c.tier, *_counts())
        .select_from(groups.outerjoin(tickets, live))
        .group_by(groups.c.id)
        .order_by(groups.c.tier, groups.c.name)
    )
    rows = [dict(r) for r in (await conn.execute(grouped)).mappings()]
    loose = (
        select(literal(None).label("id"), literal("(no group)").label("name"), literal(None).label("tier"))
        .add_columns(*_counts())
        .where(tickets.c.group_id.is_(None), tickets.c.status.in_(LIVE), ticket_visible(scope))
    )
    ungrouped = dict((await conn.execute(loose)).mappings().one())
    if ungrouped["open"] + ungrouped["pending"] + ungrouped["escalated"]:
        rows.append(ungrouped)
    return rows
