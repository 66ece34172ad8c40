"""What each escalation timeline event's `data` holds, per event type (see `api.schemas.event_union`).

The types are those `domain/escalation/` records; field names are the recorded JSON's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from api.schemas.event_union import EventData

From = Field(alias="from")
Progress = Literal["accepted", "in_progress", "in_review", "resolved"]


class EscalationCreatedData(EventData):
    target: str
    summary: str
    ticket_id: int


class StageChangedData(EventData):
    from_: str = From
    to: str
    reason: str | None = None
    comment: str | None = Field(default=None, description="the customer's words when a fix did not work")


class EtaSetData(EventData):
    from_: date | None = From
    to: date | None


class EtaPassedData(EventData):
    eta: date | None


class CardLinkedData(EventData):
    key: str
    url: str
    status: str
    progress: Progress
    created: bool = Field(description="made by Escalator rather than linked by key")


class CardKeyData(EventData):
    key: str


class CardProgressData(EventData):
    key: str
    from_: Progress = From
    to: Progress
    status: str
    at: datetime
    source: str = Field(description="webhook or reconcile")


class VerificationAnsweredData(EventData):
    fixed: bool
    comment: str | None = None
    automatic: bool = Field(description="confirmed by the timeout, not by the customer")


class VerificationReminderData(EventData):
    asked_at: str


class CardCreationRequestedData(EventData):
    project: str | None = None
    issue_type: str | None = None


class CardSyncFailedData(EventData):
    operation: str
    reason: str


ESCALATION_EVENT_DATA: dict[str, type[EventData]] = {
    "escalation_created": EscalationCreatedData,
    "stage_changed": StageChangedData,
    "eta_set": EtaSetData,
    "eta_passed": EtaPassedData,
    "card_linked": CardLinkedData,
    "card_unlinked": CardKeyData,
    "card_progress": CardProgressData,
    "card_creation_requested": CardCreationRequestedData,
    "card_creation_done": CardKeyData,
    "card_sync_failed": CardSyncFailedData,
    "verification_answered": VerificationAnsweredData,
    "verification_reminder": VerificationReminderData,
}
