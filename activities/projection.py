"""Projection of ticket state into the Postgres read model.

Idempotent by construction: events are keyed by (ticket id, seq); the workflow is the authority,
so a projection overwrites the snapshot and the events it carries and drops any event numbered
beyond its version: those were left by a workflow task that never completed (store/event_log.py).
The unsent mail notifications and undelivered webhook rows of the events it overwrites or drops go
with them (store/outbox_repair.py): Postgres never shows, nor sends, an event Temporal did not record.
Projections of one ticket run one after another inside its workflow, so the latest is the truth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Insert, Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio import activity

from domain.mail_threading import TICKET_SOURCE
from domain.projection_rows import EVENT_INSTANTS, ProjectionRows
from domain.ticket.read_model_rows import TICKET_INSTANTS
from infra.metrics import count_ticket_events
from store.event_log import forget_events_after, upsert_events
from store.outbox_repair import withdraw_unsent
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


def upsert_row(table: Table, row: dict[str, Any]) -> Insert:
    """Insert or overwrite the entity's row (keyed by `id`): the workflow is the authority."""
    upsert = insert(table).values(row)
    return upsert.on_conflict_do_update(
        index_elements=[table.c.id], set_={k: upsert.excluded[k] for k in row if k != "id"}
    )


class Timeline(NamedTuple):
    """What a projection changed in a timeline: the (type, data) of events inserted or changed now
    (for counting once), the seqs whose stored event it replaced, whether events of a lost workflow
    task were forgotten, and the last seq it keeps (any beyond were forgotten)."""

    written: list[tuple[str, dict[str, Any]]]
    forgot: bool
    rewritten: list[int]
    last: int

    @property
    def repaired(self) -> bool:
        """A lost workflow task's events were overwritten or forgotten: so must its outbox rows be."""
        return self.forgot or bool(self.rewritten)


async def write_timeline(
    conn: AsyncConnection, table: Table, owner: tuple[str, object], version: int, events: list[dict[str, Any]]
) -> Timeline:
    """Write the carried events and forget any numbered beyond them (store/event_log.py says why)."""
    column, owner_id = owner
    last = max([version, *(int(e["seq"]) for e in events)])
    forgotten = await conn.execute(forget_events_after(table, column, owner_id, version, events))
    if not events:
        return Timeline([], bool(forgotten.rowcount), [], last)
    rows = (await conn.execute(upsert_events(table, column, events))).all()
    rewritten = sorted(int(row.seq) for row in rows if not row.inserted)
    return Timeline([(row.type, row.data) for row in rows], bool(forgotten.rowcount), rewritten, last)


async def withdraw_lost_outbox(
    conn: AsyncConnection, timeline: Timeline, ticket_id: int, source: str
) -> None:
    """Before the outbox rows these events owe are written: when the projection repaired what a lost
    workflow task left, that task's unsent outbox rows go (store/outbox_repair.py), so the rows of the
    events Temporal recorded are the only ones. Nothing to do (no query) otherwise."""
    if timeline.repaired:
        await withdraw_unsent(conn, ticket_id, source, timeline.rewritten, timeline.last)


async def write_outbox(conn: AsyncConnection, owed: list[dict[str, Any]]) -> None:
    """The notifications the events owe, once each (key: ticket, source, seq, kind)."""
    if owed:
        await conn.execute(insert(notifications).values(storable(owed)).on_conflict_do_nothing())


class ProjectionActivities:
    """Holds the engine so that activities share one connection pool per worker."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="project_ticket")
    async def project_ticket(self, projection: ProjectionRows) -> int:
        """Write the snapshot, the new events and the notifications and webhook deliveries they owe
        in one transaction (withdrawing the unsent ones of a lost workflow task's events first);
        returns the projected version.

        Only the events this call actually inserted are counted, after the commit: a retry or a
        replay re-sends events already written, and those must not count twice.
        """
        row = storable(with_instants(projection.row, TICKET_INSTANTS))
        events = [storable(with_instants(e, EVENT_INSTANTS)) for e in projection.events]
        async with self._engine.begin() as conn:
            await conn.execute(upsert_row(tickets, row))
            timeline = await write_timeline(
                conn, ticket_events, ("ticket_id", row["id"]), projection.version, events
            )
            if timeline.forgot or owes_refresh(kind for kind, _ in timeline.written):
                await refresh_search(conn, [row["id"]])
            await withdraw_lost_outbox(conn, timeline, row["id"], TICKET_SOURCE)
            await enqueue_for_events(conn, row, events)
            await write_outbox(conn, projection.notifications)
        count_ticket_events(timeline.written)
        return projection.version
