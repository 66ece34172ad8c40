"""What the SLA report needs to know of one ticket: a few fields, its calendar and targets, its events.

The targets and calendar are the ticket's own (from its stored SLA: the policy version it ran on, after
any reclassification), so a ticket is judged by the rules that applied to it, not by today's policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.calendar import BusinessCalendar, CalendarSpec
from domain.sla import FIRST_RESPONSE, RESOLUTION

# The timeline events the replay looks at; the store loads only these.
RELEVANT_EVENTS = (
    "reply_added",
    "status_changed",
    "escalated",
    "escalation_updated",
    "sla_breached",
    "chat_converted",
)


@dataclass(frozen=True)
class ReportEvent:
    type: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportTicket:
    """One ticket of the period; `calendar` is None for a ticket without SLA (no clocks to judge)."""

    id: int
    created_at: datetime
    channel: str
    severity: int
    org_id: str
    assignee_id: str | None
    policy: str | None
    calendar: BusinessCalendar | None
    first_response_target: int | None
    resolution_target: int | None
    events: tuple[ReportEvent, ...] = ()
    group_id: str | None = None


def sla_parts(stored_sla: dict[str, Any] | None) -> tuple[BusinessCalendar | None, int | None, int | None]:
    """(calendar, first-response target, resolution target) from a snapshot's stored `sla`."""
    if not stored_sla:
        return None, None, None
    raw = stored_sla["calendar"]
    spec = CalendarSpec(raw["timezone"], tuple(raw["weekly"]), tuple(raw.get("holidays", ())))
    targets = {c["name"]: int(c["target_seconds"]) for c in stored_sla.get("clocks", [])}
    return BusinessCalendar.from_spec(spec), targets.get(FIRST_RESPONSE), targets.get(RESOLUTION)
