"""The rows a ticket's projection writes, built inside the workflow as plain JSON.

Why in the workflow: handing the local activity a `TicketState` made the SDK encode it and then
rebuild every nested dataclass from type hints on the other side (about 15 % of the worker's CPU
per write), only for the activity to flatten it into these rows again. Plain dicts cross for the
price of a JSON encode; instants travel as ISO 8601 strings and the activity turns them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.sla import next_breach_due
from domain.ticket.notifications import deserves_notification
from domain.ticket.snapshot import snapshot_json
from domain.ticket.state import TicketEvent, TicketState

TICKET_INSTANTS = ("created_at", "updated_at", "sla_next_due")
EVENT_INSTANTS = ("at",)


@dataclass
class ProjectionRows:
    """One projection: the ticket's row, its new timeline rows and the notifications they owe."""

    ticket: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    @property
    def version(self) -> int:
        return int(self.ticket["version"])


def projection_rows(state: TicketState, events: list[TicketEvent], notify: bool = False) -> ProjectionRows:
    """Everything the projection writes for `state` after `events`; `notify` adds the outbox rows."""
    return ProjectionRows(
        ticket=ticket_row(state),
        events=[event_row(state.id, event) for event in events],
        notifications=notification_rows(state.id, events) if notify else [],
    )


def ticket_row(state: TicketState) -> dict[str, Any]:
    due = next_breach_due(state.sla)
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
        "created_at": state.created_at.isoformat(),
        "updated_at": state.updated_at.isoformat(),
        "version": state.version,
        "snapshot": snapshot_json(state),
        "sla_policy": state.sla.policy.name if state.sla else None,
        "sla_breached": bool(state.sla and any(c.breached for c in state.sla.clocks)),
        "sla_next_due": due.isoformat() if due else None,
    }


def event_row(ticket_id: int, event: TicketEvent) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "seq": event.seq,
        "type": event.type,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "on_behalf_of": event.on_behalf_of,
        "data": event.data,
    }


def notification_rows(ticket_id: int, events: list[TicketEvent]) -> list[dict[str, Any]]:
    """The outbox rows the events owe: written in the projection's transaction, not by an activity
    per notified event (a server round trip and another workflow task each)."""
    return [
        {
            "ticket_id": ticket_id,
            "seq": event.seq,
            "kind": event.type,
            "data": {**event.data, "actor_id": event.actor_id},
        }
        for event in events
        if deserves_notification(event)
    ]
