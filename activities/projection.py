"""Projection of ticket state into the Postgres read model.

Idempotent by construction: events are keyed by (ticket id, seq); the workflow is the authority,
so a projection overwrites the snapshot and the events it carries and drops any event numbered
beyond its version: those were left by a workflow task that never completed (store/event_log.py).
Projections of one ticket run one after another inside its workflow, so the latest is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.notifications import notification_rows
from domain.sla import next_breach_due
from domain.snapshot import snapshot_json
from domain.ticket import TicketEvent, TicketState
from infra.metrics import count_ticket_events
from store.event_log import forget_events_after, upsert_events
from store.storable import storable
from store.tables import notifications, ticket_events, tickets


@dataclass
class TicketProjection:
    """The snapshot to upsert and the events new since the last projection."""

    state: TicketState
    events: list[TicketEvent] = field(default_factory=list)
    # Record the notifications the events owe in the same transaction (workflows patched with
    # "notify-in-projection"); older runs record them through `record_notification` instead.
    notify: bool = False


def ticket_row(state: TicketState) -> dict[str, Any]:
    return {
        "id": state.id,
        "org_id": state.org_id,
        "requester_id": state.requester_id,
        "assignee_id": state.assignee_id,
        "status": state.status.value,
        "severity": state.severity,
        "impact": state.impact,
        "tier": state.tier.value,
        "channel": state.channel.value,
        "kind": state.kind.value,
        "product": state.product,
        "module": state.module,
        "environment": state.environment.value,
        "subject": state.subject,
        "created_at": state.created_at,
        "updated_at": state.updated_at,
        "version": state.version,
        "snapshot": snapshot_json(state),
        "sla_policy": state.sla.policy.name if state.sla else None,
        "sla_breached": bool(state.sla and any(c.breached for c in state.sla.clocks)),
        "sla_next_due": next_breach_due(state.sla),
    }


def event_row(ticket_id: int, event: TicketEvent) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "seq": event.seq,
        "type": event.type,
        "at": event.at,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "on_behalf_of": event.on_behalf_of,
        "data": event.data,
    }


class ProjectionActivities:
    """Holds the engine so that activities share one connection pool per worker."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="project_ticket")
    async def project_ticket(self, projection: TicketProjection) -> int:
        """Write the snapshot and the new events in one transaction; returns the projected version.

        Only the events this call actually inserted are counted, after the commit: a retry or a
        replay re-sends events already written, and those must not count twice.
        """
        row = storable(ticket_row(projection.state))
        upsert = insert(tickets).values(row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[tickets.c.id],
            set_={k: upsert.excluded[k] for k in row if k != "id"},
        )
        inserted: list[tuple[str, dict[str, Any]]] = []
        async with self._engine.begin() as conn:
            await conn.execute(upsert)
            state = projection.state
            rows = [storable(event_row(state.id, e)) for e in projection.events]
            await conn.execute(forget_events_after(ticket_events, "ticket_id", state.id, state.version, rows))
            if rows:
                result = await conn.execute(upsert_events(ticket_events, "ticket_id", rows))
                inserted = [(row.type, row.data) for row in result]
            owed = notification_rows(state.id, projection.events) if projection.notify else []
            if owed:
                await conn.execute(insert(notifications).values(owed).on_conflict_do_nothing())
        count_ticket_events(inserted)
        return projection.state.version
