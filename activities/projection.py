"""Projection of ticket state into the Postgres read model.

Idempotent by construction: events are keyed by (ticket id, seq); the workflow is the authority,
so a projection overwrites the snapshot and the events it carries and drops any event numbered
beyond its version: those were left by a workflow task that never completed (store/event_log.py).
Projections of one ticket run one after another inside its workflow, so the latest is the truth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from domain.ticket.read_model_rows import EVENT_INSTANTS, TICKET_INSTANTS, ProjectionRows
from infra.metrics import count_ticket_events
from store.event_log import forget_events_after, upsert_events
from store.storable import storable
from store.tables import notifications, ticket_events, tickets
from store.ticket_search import owes_refresh, refresh_search
from store.webhooks import enqueue_for_events


def with_instants(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """The row with its ISO 8601 instants as datetimes again, for the timestamp columns."""
    return {
        key: datetime.fromisoformat(value) if key in columns and isinstance(value, str) else value
        for key, value in row.items()
    }


class ProjectionActivities:
    """Holds the engine so that activities share one connection pool per worker."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="project_ticket")
    async def project_ticket(self, projection: ProjectionRows) -> int:
        """Write the snapshot, the new events and the notifications they owe in one transaction;
        returns the projected version.

        Only the events this call actually inserted are counted, after the commit: a retry or a
        replay re-sends events already written, and those must not count twice.
        """
        row = storable(with_instants(projection.ticket, TICKET_INSTANTS))
        upsert = insert(tickets).values(row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[tickets.c.id],
            set_={k: upsert.excluded[k] for k in row if k != "id"},
        )
        ticket_id, version = row["id"], projection.version
        events = [storable(with_instants(e, EVENT_INSTANTS)) for e in projection.events]
        inserted: list[tuple[str, dict[str, Any]]] = []
        async with self._engine.begin() as conn:
            await conn.execute(upsert)
            forgotten = await conn.execute(
                forget_events_after(ticket_events, "ticket_id", ticket_id, version, events)
            )
            if events:
                result = await conn.execute(upsert_events(ticket_events, "ticket_id", events))
                inserted = [(row.type, row.data) for row in result]
            if forgotten.rowcount or owes_refresh(kind for kind, _ in inserted):
                await refresh_search(conn, [ticket_id])
            await enqueue_for_events(conn, row, events)
            if projection.notifications:
                owed = storable(projection.notifications)
                await conn.execute(insert(notifications).values(owed).on_conflict_do_nothing())
        count_ticket_events(inserted)
        return version
