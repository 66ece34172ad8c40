"""Which ticket events someone must hear about (pure: the workflow asks, the activity composes)."""

from __future__ import annotations

from domain.ticket.state import TicketEvent

ALWAYS = frozenset(
    {
        "ticket_created",
        "sla_warning",
        "sla_breached",
        "pending_reminder",
        "conference_reminder",
        "conference_accepted",
    }
)


def deserves_notification(event: TicketEvent) -> bool:
    """Public agent replies, resolutions, new tickets and SLA warnings/breaches; never internal notes."""
    if event.type in ALWAYS:
        return True
    if event.type == "reply_added":
        return event.data.get("author") == "agent" and not event.data.get("internal")
    if event.type == "status_changed":
        return event.data.get("to") == "resolved"
    return False
