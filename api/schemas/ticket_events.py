"""What each ticket timeline event's `data` holds, per event type (see `api.schemas.event_union`).

The types are those `domain/ticket/transitions.py` and `workflows/ticket.py` record; field names are
the recorded JSON's (`from`/`to` via aliases). Optional fields are those older histories lack.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from api.schemas.event_union import EventData

From = Field(alias="from")


class TicketCreatedData(EventData):
    subject: str
    description: str
    attachments: list[str] = Field(default_factory=list)
    transcript: list[dict[str, Any]] = Field(default_factory=list)


class ResourceData(EventData):
    title: str
    url: str


class MessageData(EventData):
    """A reply or an internal note."""

    body: str
    internal: bool = False
    author: Literal["customer", "agent"]
    attachments: list[str] = Field(default_factory=list)
    resources: list[ResourceData] = Field(default_factory=list)


class StatusChangedData(EventData):
    from_: str = From
    to: str
    reason: str | None = None


class AssignedData(EventData):
    from_: str | None = From
    to: str | None


class SeverityChange(EventData):
    from_: int = From
    to: int


class ImpactChange(EventData):
    from_: str | None = From
    to: str | None


class ReclassifiedData(EventData):
    severity: SeverityChange | None = None
    impact: ImpactChange | None = None


class TransferredData(EventData):
    from_: str = From
    to: str
    reason: str | None = None
    group_from: str | None = None
    group_to: str | None = None


class TagsChangedData(EventData):
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)


class MacroAppliedData(EventData):
    """One entry per applied macro; `did` lists each step (reply, tags, assignee, group, severity,
    status) as the events after it record them."""

    macro_id: str
    name: str
    did: list[dict[str, Any]] = Field(default_factory=list)


class EscalatedData(EventData):
    escalation_id: str
    target: str
    summary: str


class FeedbackData(EventData):
    satisfied: bool
    comment: str | None = None
    assignee_id: str | None = None


class MergedIntoData(EventData):
    target_id: int


class MergedMessage(EventData):
    author_id: str
    body: str
    at: str


class MergedFromData(EventData):
    source_id: int
    participants: list[str] = Field(default_factory=list)
    messages: list[MergedMessage] = Field(default_factory=list)


class NoData(EventData):
    """An event whose type says it all."""


class ConferenceAcceptedData(EventData):
    link: str | None = None
    code: str | None = None


class PendingReminderData(EventData):
    auto_resolve_at: datetime


class ConferenceReminderData(EventData):
    scheduled_at: datetime


class EscalationUpdatedData(EventData):
    id: str
    stage: str
    target: str = "engineering"
    eta: str | None = None
    cards: list[dict[str, str]] = Field(default_factory=list)
    reason: str | None = None


class SlaClockData(EventData):
    """A warning or a breach: which clock, its target and the business time used when it fired."""

    clock: Literal["first_response", "resolution"]
    target_seconds: int
    used_seconds: int
    due: datetime
    policy: str
    policy_version: int


class SlaPolicyChangedData(EventData):
    policy: str
    version: int


TICKET_EVENT_DATA: dict[str, type[EventData]] = {
    "ticket_created": TicketCreatedData,
    "reply_added": MessageData,
    "note_added": MessageData,
    "status_changed": StatusChangedData,
    "assigned": AssignedData,
    "reclassified": ReclassifiedData,
    "transferred": TransferredData,
    "escalated": EscalatedData,
    "feedback_given": FeedbackData,
    "merged_into": MergedIntoData,
    "merged_from": MergedFromData,
    "chat_converted": NoData,
    "conference_accepted": ConferenceAcceptedData,
    "pending_reminder": PendingReminderData,
    "conference_reminder": ConferenceReminderData,
    "escalation_updated": EscalationUpdatedData,
    "sla_warning": SlaClockData,
    "sla_breached": SlaClockData,
    "sla_policy_changed": SlaPolicyChangedData,
    "tags_changed": TagsChangedData,
    "macro_applied": MacroAppliedData,
}
