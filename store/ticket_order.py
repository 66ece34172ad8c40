"""Ticket lists in a queue's order, keyset-paginated so that deep pages stay correct and fast.

Three orders: `created` (newest first, by id), `sla` (the next SLA deadline first, tickets without
one last) and `activity` (last activity first). Each page continues strictly after the last row's
(sort key, id), so a ticket never shows twice or goes missing between pages, even with equal keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from store.scope import Scope, ticket_visible
from store.tables import tickets
from store.ticket_queries import TicketFilter, filtered

SORTS = ("created", "sla", "activity")


@dataclass(frozen=True)
class Keyset:
    """Where a page ends: the sort, the last row's key (None: no SLA deadline) and its id."""

    sort: str
    key: datetime | None
    id: int


def _after(position: Keyset) -> ColumnElement[bool]:
    """Rows strictly after `position` in its sort's order."""
    ticket_id = tickets.c.id
    if position.sort == "created":
        return ticket_id < position.id
    if position.sort == "activity":
        at = tickets.c.updated_at
        return or_(at < position.key, and_(at == position.key, ticket_id < position.id))
    due = tickets.c.sla_next_due
    if position.key is None:  # already among the tickets without a deadline (they come last)
        return and_(due.is_(None), ticket_id > position.id)
    later = or_(due > position.key, and_(due == position.key, ticket_id > position.id))
    return or_(later, due.is_(None))


def _order(sort: str) -> list[Any]:
    if sort == "sla":
        return [tickets.c.sla_next_due.asc().nulls_last(), tickets.c.id.asc()]
    if sort == "activity":
        return [tickets.c.updated_at.desc(), tickets.c.id.desc()]
    return [tickets.c.id.desc()]


def _key_of(sort: str, row: Any) -> datetime | None:
    if sort == "sla":
        return row.sla_next_due
    if sort == "activity":
        return row.updated_at
    return None


async def list_ordered(
    conn: AsyncConnection, scope: Scope, f: TicketFilter, sort: str, limit: int, after: Keyset | None
) -> list[tuple[dict[str, Any], Keyset]]:
    """Up to `limit` snapshots in `sort`'s order after `after`, each with the keyset it ends at."""
    query = filtered(f).add_columns(tickets.c.sla_next_due, tickets.c.updated_at).where(ticket_visible(scope))
    if after is not None:
        query = query.where(_after(after))
    rows = await conn.execute(query.order_by(*_order(sort)).limit(limit))
    return [(dict(r.snapshot), Keyset(sort, _key_of(sort, r), int(r.id))) for r in rows]
