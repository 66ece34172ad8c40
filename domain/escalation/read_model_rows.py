"""The rows an escalation's projection writes, built inside the workflow as plain JSON
(domain/projection_rows.py says why): the escalation's row with its snapshot, its new timeline
rows and, for runs past "escalation-notify-in-projection", the outbox rows its events owe."""

from __future__ import annotations

from typing import Any

from domain.escalation.state import EscalationState
from domain.events import Event, event_row
from domain.notifications import Entity, notification_rows
from domain.projection_rows import ProjectionRows
from domain.ticket.snapshot import json_ready

ESCALATION_INSTANTS = ("created_at", "updated_at")
EVENT_COLUMNS = ("actor_id", "actor_role")


def escalation_rows(state: EscalationState, events: list[Event], notify: bool) -> ProjectionRows:
    return ProjectionRows(
        row=escalation_row(state),
        events=[event_row(event, {"escalation_id": state.id}, EVENT_COLUMNS) for event in events],
        notifications=notification_rows(Entity.ESCALATION, state.ticket_id, state.id, events)
        if notify
        else [],
    )


def escalation_row(state: EscalationState) -> dict[str, Any]:
    """The escalations row; its snapshot also tells the activity which cards are linked."""
    return {
        "id": state.id,
        "ticket_id": state.ticket_id,
        "org_id": state.org_id,
        "stage": state.stage.value,
        "target": state.target.value,
        "eta": state.eta,
        "created_at": state.created_at.isoformat(),
        "updated_at": state.updated_at.isoformat(),
        "version": state.version,
        "snapshot": json_ready(state),
    }
