"""Read queries over the ticket read model (lists, detail, timeline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select, text, true
from sqlalchemy.ext.asyncio import AsyncConnection

from store.scope import Scope, ticket_of_row_visible, ticket_visible
from store.tables import ticket_events, tickets

OPEN_STATUSES = ("open", "pending", "escalated")  # as in the predicate of ix_tickets_open_org_subject_trgm


@dataclass
class TicketFilter:
    """Filters a support desk expects on a ticket list; `None` means "any"."""

    org_id: str | None = None
    requester_id: str | None = None
    status: list[str] | None = None
    severity: list[int] | None = None
    channel: str | None = None
    kind: str | None = None
    product: str | None = None
    assignee_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    ticket_id: int | None = None  # a search by ticket number
    breached: bool | None = None
    due_before: datetime | None = None
    group_id: str | None = None
    tier: str | None = None
    unassigned: bool | None = None
    tag: str | None = None


def _filtered(f: TicketFilter) -> Select[Any]:
    query: Select[Any] = select(tickets.c.id, tickets.c.snapshot)
    equals = {
        tickets.c.org_id: f.org_id,
        tickets.c.requester_id: f.requester_id,
        tickets.c.channel: f.channel,
        tickets.c.kind: f.kind,
        tickets.c.product: f.product,
        tickets.c.assignee_id: f.assignee_id,
        tickets.c.id: f.ticket_id,
    }
    for column, value in equals.items():
        if value is not None:
            query = query.where(column == value)
    if f.status:
        query = query.where(tickets.c.status.in_(f.status))
    if f.severity:
        query = query.where(tickets.c.severity.in_(f.severity))
    if f.created_from is not None:
        query = query.where(tickets.c.created_at >= f.created_from)
    if f.created_to is not None:
        query = query.where(tickets.c.created_at < f.created_to)
    if f.breached is not None:
        query = query.where(tickets.c.sla_breached.is_(f.breached))
    if f.due_before is not None:
        query = query.where(tickets.c.sla_next_due < f.due_before)
    query = _queue_filters(query, f)
    if f.q:
        query = query.where(tickets.c.subject.ilike(f"%{_escape_like(f.q)}%", escape="\\"))
    return query


def _queue_filters(query: Select[Any], f: TicketFilter) -> Select[Any]:
    """Group, tier, (un)assigned and tag: the filters of a queue view."""
    if f.group_id is not None:
        query = query.where(tickets.c.group_id == f.group_id)
    if f.tier is not None:
        query = query.where(tickets.c.tier == f.tier)
    if f.unassigned is not None:
        query = query.where(
            tickets.c.assignee_id.is_(None) if f.unassigned else tickets.c.assignee_id.isnot(None)
        )
    if f.tag is not None:
        query = query.where(tickets.c.tags.contains([f.tag]))
    return query


def filtered(f: TicketFilter) -> Select[Any]:
    """The filters as a query of (id, snapshot), for orderings defined elsewhere (store/ticket_order.py)."""
    return _filtered(f)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_tickets(
    conn: AsyncConnection, scope: Scope, f: TicketFilter, limit: int, before_id: int | None
) -> list[dict[str, Any]]:
    """Newest first, keyset-paginated on id so deep pages stay as fast as the first; the filters
    narrow the scope, never widen it."""
    query = _filtered(f).where(ticket_visible(scope))
    if before_id is not None:
        query = query.where(tickets.c.id < before_id)
    query = query.order_by(tickets.c.id.desc()).limit(limit)
    rows = await conn.execute(query)
    return [dict(row.snapshot) for row in rows]


async def get_ticket_row(conn: AsyncConnection, scope: Scope, ticket_id: int) -> dict[str, Any] | None:
    """The ticket's snapshot, or None when it does not exist or is outside the scope (alike)."""
    query = select(tickets.c.snapshot).where(tickets.c.id == ticket_id, ticket_visible(scope))
    row = (await conn.execute(query)).first()
    return dict(row.snapshot) if row else None


async def get_timeline(conn: AsyncConnection, scope: Scope, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's events in order; internal notes only for scopes that admit them."""
    query = (
        select(ticket_events)
        .where(
            ticket_events.c.ticket_id == ticket_id, ticket_of_row_visible(scope, ticket_events.c.ticket_id)
        )
        .order_by(ticket_events.c.seq)
    )
    if not scope.internal:
        query = query.where(ticket_events.c.type != "note_added")
    rows = await conn.execute(query)
    return [dict(r) for r in rows.mappings()]


async def next_ticket_id(conn: AsyncConnection) -> int:
    """Ticket numbers come from a Postgres sequence: shown to people, never reused."""
    return int((await conn.execute(text("SELECT nextval('ticket_id_seq')"))).scalar_one())


async def similar_open_tickets(
    conn: AsyncConnection,
    org_id: str,
    subject: str,
    threshold: float = 0.45,
    limit: int = 5,
    scope: Scope | None = None,
) -> list[dict[str, Any]]:
    """One ticket per subject (seed 001): open tickets of the organisation whose subject is similar.

    `subject % :s` is `similarity(subject, :s) >= pg_trgm.similarity_threshold`, the same test as
    comparing the similarity, but one a trigram index answers: `ix_tickets_open_org_subject_trgm`,
    GiST (org_id, subject) over open tickets. The threshold is set for this transaction only
    (`set_config(..., true)`, i.e. `SET LOCAL`), and the statuses are written into the SQL so that a
    generic plan of the prepared statement can still use that partial index. With a `scope`, only the
    tickets it admits (a customer does not see a colleague's ticket through the duplicate check).
    """
    await conn.execute(select(func.set_config("pg_trgm.similarity_threshold", str(threshold), True)))
    score = func.similarity(tickets.c.subject, subject)
    open_statuses: BindParameter[str] = bindparam(
        "open_statuses", OPEN_STATUSES, expanding=True, literal_execute=True
    )
    query = (
        select(tickets.c.id, tickets.c.subject, tickets.c.status, score.label("similarity"))
        .where(tickets.c.org_id == org_id, tickets.c.status.in_(open_statuses))
        .where(tickets.c.subject.op("%")(subject))
        .where(ticket_visible(scope) if scope is not None else true())
        .order_by(score.desc())
        .limit(limit)
    )
    return [
        {"id": r.id, "subject": r.subject, "status": r.status, "similarity": round(float(r.similarity), 2)}
        for r in await conn.execute(query)
    ]


async def public_messages(conn: AsyncConnection, scope: Scope, ticket_id: int) -> list[dict[str, str]]:
    """The customer-visible messages of a ticket (for merging a duplicate into another)."""
    query = (
        select(ticket_events.c.type, ticket_events.c.data, ticket_events.c.actor_id, ticket_events.c.at)
        .where(
            ticket_events.c.ticket_id == ticket_id,
            ticket_events.c.type.in_(("ticket_created", "reply_added")),
            ticket_of_row_visible(scope, ticket_events.c.ticket_id),
        )
        .order_by(ticket_events.c.seq)
    )
    messages = []
    for row in await conn.execute(query):
        body = row.data.get("description") if row.type == "ticket_created" else row.data.get("body")
        if body and not row.data.get("internal"):
            messages.append({"author_id": row.actor_id or "", "body": str(body), "at": row.at.isoformat()})
    return messages
