"""Notifications about ticket and escalation events: recorded once per (ticket, source, event, kind)
in an outbox (which events owe one: domain/notifications.py).

The outbox row is the durable promise that a notification is owed; the e-mail sender delivers from
it. Keyed by ticket id and event sequence, so a retried activity never notifies twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from store.storable import storable
from store.tables import notifications


@dataclass
class NotificationRequest:
    """`kind` is the event type; `source` is whose numbering `seq` follows ("ticket" or an escalation id)."""

    ticket_id: int
    seq: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    source: str = "ticket"


class NotificationActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="record_notification")
    async def record_notification(self, request: NotificationRequest) -> bool:
        """True when this call recorded it; False when an earlier attempt already had."""
        statement = (
            insert(notifications)
            .values(
                ticket_id=request.ticket_id,
                source=request.source,
                seq=request.seq,
                kind=request.kind,
                data=storable(request.data),
            )
            .on_conflict_do_nothing()
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)
