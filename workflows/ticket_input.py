"""What a TicketWorkflow starts with, and what it carries over on continue-as-new."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.events import Event
from domain.ticket.lifecycle import LifecycleSettings
from domain.ticket.state import NewTicket, TicketState
from workflows.escalation_input import EscalationSettings


@dataclass
class TicketWorkflowInput:
    """Either `new` (first run) or `state` (a continued run) is set."""

    new: NewTicket | None = None
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    state: TicketState | None = None
    seen_requests: dict[str, int] = field(default_factory=dict)
    unprojected: list[Event] = field(default_factory=list)
    projected_version: int = 0
    publish_search_attributes: bool = True
    escalation: EscalationSettings = field(default_factory=EscalationSettings)


def ticket_workflow_id(ticket_id: int) -> str:
    return f"ticket-{ticket_id}"
