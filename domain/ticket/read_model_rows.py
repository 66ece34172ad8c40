"""The rows a ticket's projection writes, built inside the workflow as plain JSON
(domain/projection_rows.py says why)."""

from __future__ import annotations

from typing import Any

from domain.events import Event, event_row
from domain.notifications import Entity, notification_rows
from domain.projection_rows import EVENT_INSTANTS as EVENT_INSTANTS
from domain.projection_rows import ProjectionRows
from domain.sla import next_breach_due
from domain.ticket.snapshot import snapshot_json
from domain.ticket.state import TicketState

TICKET_INSTANTS = ("created_at", "updated_at", "sla_next_due")
EVENT_COLUMNS = ("actor_id", "actor_role", "on_behalf_of")


def projection_rows(state: TicketState, events: list[Event], notify: bool = False) -> ProjectionRows:
    """Everything the projection writes for `state` after `events`; `notify` adds the outbox rows
    (in the projection's transaction, not by an activity per notified event: a server round trip
    and another workflow task each)."""
    return ProjectionRows(
        row=ticket_row(state),
        events=[event_row(event, {"ticket_id": state.id}, EVENT_COLUMNS) for event in events],
        notifications=notification_rows(Entity.TICKET, state.id, "ticket", events) if notify else [],
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
        "group_id": state.group_id,
        "tags": list(state.tags),
    }
