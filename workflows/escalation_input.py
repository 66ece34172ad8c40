"""What an EscalationWorkflow starts with and carries over on continue-as-new."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.calendar import CalendarSpec
from domain.escalation.state import EscalationState, NewEscalation
from domain.events import Event


@dataclass
class EscalationSettings:
    verification_reminder_business_days: int = 3
    verification_timeout_days: int = 10
    reconcile_seconds: int = 900
    calendar: CalendarSpec | None = None
    public_base_url: str = "http://localhost:8000"
    publish_search_attributes: bool = True


@dataclass
class EscalationInput:
    new: NewEscalation | None = None
    settings: EscalationSettings = field(default_factory=EscalationSettings)
    state: EscalationState | None = None
    unprojected: list[Event] = field(default_factory=list)
    projected_version: int = 0
    seen_requests: dict[str, int] = field(default_factory=dict)


def escalation_workflow_id(escalation_id: str) -> str:
    return f"escalation-{escalation_id}"
