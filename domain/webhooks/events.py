"""The events an endpoint may subscribe to, and which ticket timeline event publishes which.

Names are public API (what receivers switch on), so they are stable strings of their own rather than
the timeline's internal event types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TICKET_CREATED = "ticket.created"
STATUS_CHANGED = "ticket.status_changed"
ASSIGNED = "ticket.assigned"
SLA_WARNING = "sla.warning"
SLA_BREACHED = "sla.breached"
ESCALATION_STAGE_CHANGED = "escalation.stage_changed"
FEEDBACK = "ticket.feedback"

EVENT_TYPES = (
    TICKET_CREATED,
    STATUS_CHANGED,
    ASSIGNED,
    SLA_WARNING,
    SLA_BREACHED,
    ESCALATION_STAGE_CHANGED,
    FEEDBACK,
)

_BY_TIMELINE_TYPE = {
    "ticket_created": TICKET_CREATED,
    "status_changed": STATUS_CHANGED,
    "assigned": ASSIGNED,
    "sla_warning": SLA_WARNING,
    "sla_breached": SLA_BREACHED,
    "escalated": ESCALATION_STAGE_CHANGED,
    "escalation_updated": ESCALATION_STAGE_CHANGED,
    "feedback_given": FEEDBACK,
}
# What a published event says about the ticket (never its messages: receivers fetch what they need).
TICKET_FIELDS = ("id", "org_id", "requester_id", "assignee_id", "status", "severity", "tier", "subject")


@dataclass(frozen=True)
class WebhookEvent:
    """One event as receivers get it; `id` is stable across retries, for de-duplication."""

    id: str
    type: str
    ticket_id: int
    payload: dict[str, Any]


def event_id(ticket_id: int, seq: int) -> str:
    """The ticket and the timeline position name the event: a retried projection makes the same id."""
    return f"evt_{ticket_id}_{seq}"


def may_publish(timeline_type: str) -> bool:
    """Cheap pre-check: most projections (replies, notes) publish nothing and need no database work."""
    return timeline_type in _BY_TIMELINE_TYPE


def webhook_event(
    ticket: dict[str, Any], event: dict[str, Any], previous_stage: str | None = None
) -> WebhookEvent | None:
    """The published form of a projected timeline row, or None if it publishes nothing.

    An `escalation_updated` row also carries card progress and the estimated date: it is published only
    when the stage differs from `previous_stage` (the stage before it on the same ticket).
    """
    kind = _BY_TIMELINE_TYPE.get(str(event["type"]))
    if kind is None:
        return None
    data = dict(event["data"])
    if event["type"] == "escalated":
        data = {"escalation_id": data.get("escalation_id"), "from": None, "to": "submitted"}
    elif event["type"] == "escalation_updated":
        if data.get("stage") == previous_stage:
            return None
        data = {"escalation_id": data.get("id"), "from": previous_stage, "to": data.get("stage")}
    ticket_id = int(ticket["id"])
    identifier = event_id(ticket_id, int(event["seq"]))
    payload = {
        "id": identifier,
        "type": kind,
        "created_at": _instant(event["at"]),
        "ticket": {key: ticket.get(key) for key in TICKET_FIELDS},
        "data": data,
    }
    return WebhookEvent(identifier, kind, ticket_id, payload)


def _instant(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
