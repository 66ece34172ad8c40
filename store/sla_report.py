"""Loading a period's tickets and their SLA-relevant events for the compliance report.

Two statements: the tickets created in the period (with the stored SLA of each, for its calendar and
targets), then their relevant events in timeline order. The figures come from the pure replay in
`domain.sla_report`; this module only reads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.sla_report.aggregate import GroupStats, group_outcomes
from domain.sla_report.outcome import ticket_outcome
from domain.sla_report.period import Period
from domain.sla_report.ticket_facts import RELEVANT_EVENTS, ReportEvent, ReportTicket, sla_parts
from store.tables import ticket_events, tickets


def _tickets_of(period: Period) -> Select[Any]:
    t = tickets.c
    columns: list[Any] = [t.id, t.created_at, t.channel, t.severity, t.org_id, t.assignee_id, t.sla_policy]
    columns += [t.snapshot["sla"].label("sla"), t.group_id.label("group_id")]
    return select(*columns).where(t.created_at >= period.start, t.created_at < period.end)


async def load_tickets(conn: AsyncConnection, period: Period) -> list[ReportTicket]:
    found = (await conn.execute(_tickets_of(period).order_by(tickets.c.id))).mappings().all()
    if not found:
        return []
    e = ticket_events.c
    in_period = _tickets_of(period).with_only_columns(tickets.c.id).subquery("in_period")
    events_query = (
        select(e.ticket_id, e.type, e.at, e.data)
        .join(in_period, in_period.c.id == e.ticket_id)
        .where(e.type.in_(RELEVANT_EVENTS))
        .order_by(e.ticket_id, e.seq)
    )
    events: dict[int, list[ReportEvent]] = {}
    for row in await conn.execute(events_query):
        events.setdefault(row.ticket_id, []).append(ReportEvent(row.type, row.at, dict(row.data)))
    return [_ticket(dict(row), tuple(events.get(row["id"], ()))) for row in found]


def _ticket(row: dict[str, Any], events: tuple[ReportEvent, ...]) -> ReportTicket:
    calendar, first, resolution = sla_parts(row["sla"])
    return ReportTicket(
        id=row["id"],
        created_at=row["created_at"],
        channel=row["channel"],
        severity=row["severity"],
        org_id=row["org_id"],
        assignee_id=row["assignee_id"],
        policy=row["sla_policy"],
        calendar=calendar,
        first_response_target=first,
        resolution_target=resolution,
        events=events,
        group_id=row.get("group_id"),
    )


async def sla_report(conn: AsyncConnection, period: Period, group_by: str) -> list[GroupStats]:
    """The report's rows: tickets created in the period, grouped."""
    loaded = await load_tickets(conn, period)
    return group_outcomes((ticket_outcome(t) for t in loaded), group_by)
