"""Projection of escalations into Postgres: snapshot, timeline, owed notifications and the card
links webhooks route by.

Idempotent like the ticket projection: events keyed by (escalation id, seq) and overwritten by what
the workflow sends, none kept beyond the projected version (store/event_log.py), and the unsent
notifications of the events overwritten or dropped withdrawn with them (store/outbox_repair.py);
card links upserted; notifications keyed by (ticket, escalation id, seq, kind). The rows are plain
JSON built in the workflow (domain/escalation/read_model_rows.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio import activity

from activities.projection import (
    upsert_row,
    with_instants,
    withdraw_lost_outbox,
    write_outbox,
    write_timeline,
)
from domain.escalation.read_model_rows import ESCALATION_INSTANTS
from domain.escalation.state import TERMINAL
from domain.projection_rows import EVENT_INSTANTS, ProjectionRows
from infra.metrics import count_escalation_events
from store.storable import storable
from store.tables import escalation_cards, escalation_events, escalations


class EscalationProjectionActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="project_escalation")
    async def project_escalation(self, projection: ProjectionRows) -> int:
        """Upsert snapshot, timeline, outbox and cards; counts stage entries only for events inserted now."""
        row = storable(with_instants(projection.row, ESCALATION_INSTANTS))
        events = [storable(with_instants(e, EVENT_INSTANTS)) for e in projection.events]
        owner = ("escalation_id", row["id"])
        async with self._engine.begin() as conn:
            await conn.execute(upsert_row(escalations, row))
            timeline = await write_timeline(conn, escalation_events, owner, projection.version, events)
            await withdraw_lost_outbox(conn, timeline, int(row["ticket_id"]), row["id"])
            await write_outbox(conn, projection.notifications)
            await sync_cards(conn, row)
        count_escalation_events(timeline.written)
        return projection.version


async def sync_cards(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """The links webhooks route by: the snapshot's cards, active while the escalation is."""
    escalation_id = row["id"]
    keys = [card["key"].upper() for card in row["snapshot"]["cards"]]
    active = row["stage"] not in TERMINAL
    await conn.execute(
        update(escalation_cards).where(escalation_cards.c.escalation_id == escalation_id).values(active=False)
    )
    if keys:
        stmt = insert(escalation_cards).values(
            [{"escalation_id": escalation_id, "card_key": k, "active": active} for k in keys]
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[escalation_cards.c.escalation_id, escalation_cards.c.card_key],
                set_={"active": stmt.excluded.active},
            )
        )
