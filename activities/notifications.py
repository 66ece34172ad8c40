"""Notifications about ticket events: recorded once per (ticket, event, kind) in an outbox.

The outbox row is the durable promise that a notification is owed; the e-mail sender delivers from
it. Keyed by ticket id and event sequence, so a retried activity never notifies twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from domain.notifications import deserves_notification
from domain.ticket import TicketEvent
from store.storable import storable
from store.tables import notifications

NOTIFIED_EVENTS = frozenset({"sla_warning", "sla_breached"})


@dataclass
class NotificationRequest:
    ticket_id: int
    seq: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class NotificationActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="record_notification")
    async def record_notification(self, request: NotificationRequest) -> bool:
        """True when this call recorded it; False when an earlier attempt already had."""
        statement = (
            insert(notifications)
            .values(
                ticket_id=request.ticket_id, seq=request.seq, kind=request.kind, data=storable(request.data)
            )
            .on_conflict_do_nothing()
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)


def notification_rows(ticket_id: int, events: list[TicketEvent]) -> list[dict[str, Any]]:
    """The outbox rows the events owe, for the projection to write in its own transaction.

    Why there: a separate activity per notified event cost an activity task round trip on the
    server and another workflow task, about a third of an agent reply's CPU.
    """
    return [
        {
            "ticket_id": ticket_id,
            "seq": event.seq,
            "kind": event.type,
            "data": storable({**event.data, "actor_id": event.actor_id}),
        }
        for event in events
        if deserves_notification(event)
    ]
