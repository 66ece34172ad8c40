"""What a ticket's closing owes its escalation: the reason to end it with, if it is still active.

Why a rule of its own: closing happens three ways (the requester closes, an agent merges the ticket
into another, a resolved ticket closes automatically) and each must end an active escalation, or it
would outlive its ticket (issue #14). The status change that closed the ticket carries the reason.
"""

from __future__ import annotations

from domain.events import Event
from domain.ticket.state import TicketState, TicketStatus


def escalation_to_end(state: TicketState, batch: list[Event]) -> str | None:
    """The reason to end the escalation with, when `batch` closed a ticket whose escalation is active."""
    if state.status is not TicketStatus.CLOSED or not state.escalation_active:
        return None
    for event in batch:
        if event.type == "status_changed" and event.data.get("to") == TicketStatus.CLOSED.value:
            return f"ticket #{state.id} {_reason(event.data.get('reason'))}"
    return None


def _reason(reason: object) -> str:
    text = str(reason or "closed")
    if text.startswith("duplicate"):
        return f"merged as a {text}"
    return text if text.startswith("closed") else f"closed: {text}"
