"""The open tickets an SLA policy rollout signals, a page at a time, in ticket-id order.

A system query (the rollout acts for ops on every organisation), so it takes no caller `Scope`.
Paging by id (keyset) keeps each page cheap at 100,000 tickets and stable while tickets close.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.sla_rollout import RolloutPage, RolloutPageRequest
from store.tables import tickets


def _open_on(policy: str) -> ColumnElement[bool]:
    return and_(tickets.c.sla_policy == policy, tickets.c.status != "closed")


async def rollout_page(conn: AsyncConnection, request: RolloutPageRequest) -> RolloutPage:
    rows = await conn.execute(
        select(tickets.c.id)
        .where(_open_on(request.policy), tickets.c.id > request.after_id)
        .order_by(tickets.c.id)
        .limit(request.limit)
    )
    total = None
    if request.count_total:
        total = (await conn.execute(select(func.count()).where(_open_on(request.policy)))).scalar_one()
    return RolloutPage([int(i) for i in rows.scalars().all()], total)
