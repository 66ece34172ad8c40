"""Projection of escalations into Postgres: snapshot, timeline and the card links webhooks route by.

Idempotent like the ticket projection: events keyed by (escalation id, seq) and overwritten by what
the workflow sends, none kept beyond the projected version (store/event_log.py); card links upserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from domain.escalation.state import EscalationState
from domain.ticket.snapshot import json_ready
from infra.metrics import count_escalation_events
from store.event_log import forget_events_after, upsert_events
from store.storable import storable
from store.tables import escalation_cards, escalation_events, escalations


@dataclass
class EscalationEvent:
    seq: int
    type: str
    at: datetime
    actor_id: str | None
    actor_role: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class EscalationProjection:
    state: EscalationState
    events: list[EscalationEvent] = field(default_factory=list)


class EscalationProjectionActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="project_escalation")
    async def project_escalation(self, projection: EscalationProjection) -> int:
        """Upsert snapshot, timeline and cards; counts stage entries only for events inserted now."""
        state = projection.state
        row = {
            "id": state.id,
            "ticket_id": state.ticket_id,
            "org_id": state.org_id,
            "stage": state.stage.value,
            "target": state.target.value,
            "eta": state.eta,
            "created_at": state.created_at,
            "updated_at": state.updated_at,
            "version": state.version,
            "snapshot": storable(json_ready(state)),
        }
        upsert = insert(escalations).values(row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[escalations.c.id],
            set_={k: upsert.excluded[k] for k in row if k != "id"},
        )
        inserted: list[tuple[str, dict[str, Any]]] = []
        async with self._engine.begin() as conn:
            await conn.execute(upsert)
            rows = [storable({"escalation_id": state.id, **json_event(e)}) for e in projection.events]
            await conn.execute(
                forget_events_after(escalation_events, "escalation_id", state.id, state.version, rows)
            )
            if rows:
                result = await conn.execute(upsert_events(escalation_events, "escalation_id", rows))
                inserted = [(row.type, row.data) for row in result]
            await self._sync_cards(conn, state)
        count_escalation_events(inserted)
        return state.version

    async def _sync_cards(self, conn: Any, state: EscalationState) -> None:
        keys = [c.key.upper() for c in state.cards]
        active = state.active
        await conn.execute(
            update(escalation_cards).where(escalation_cards.c.escalation_id == state.id).values(active=False)
        )
        if keys:
            stmt = insert(escalation_cards).values(
                [{"escalation_id": state.id, "card_key": k, "active": active} for k in keys]
            )
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[escalation_cards.c.escalation_id, escalation_cards.c.card_key],
                    set_={"active": stmt.excluded.active},
                )
            )


def json_event(event: EscalationEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "type": event.type,
        "at": event.at,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "data": json_ready(event.data),
    }
