"""Bodies of the escalation endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas.escalation_events import ESCALATION_EVENT_DATA
from api.schemas.event_union import event_union
from api.schemas.pages import Page
from api.schemas.people import PersonRef
from api.strict_body import StrictBody
from domain.escalation.state import Stage, Target


class EscalationIn(StrictBody):
    target: Target = Target.ENGINEERING
    summary: str = Field(min_length=3, max_length=200)
    description: str | None = Field(default=None, max_length=64_000)


class StageIn(StrictBody):
    stage: Stage
    note: str | None = Field(default=None, max_length=4000)


class EtaIn(StrictBody):
    eta: date | None = Field(description="estimated resolution date (not a promise); null clears it")


class CardIn(StrictBody):
    key: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]*-[0-9]+$", max_length=64)
    create: bool = False
    project: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$", max_length=32)
    issue_type: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_of(self) -> CardIn:
        if bool(self.key) == self.create:
            raise ValueError('give either "key" (link an existing card) or "create": true')
        return self


class VerificationIn(StrictBody):
    fixed: bool
    comment: str | None = Field(default=None, max_length=4000)


class CardOut(BaseModel):
    key: str
    url: str
    status: str
    progress: Literal["accepted", "in_progress", "in_review", "resolved"]
    linked_at: datetime
    created_by_escalator: bool = False


class EscalationOut(BaseModel):
    id: str
    ticket_id: int
    org_id: str
    target: Target
    stage: Stage
    summary: str
    description: str
    eta: date | None
    eta_passed: bool
    cards: list[CardOut]
    card_creations_pending: int
    verification_requested_at: datetime | None
    decline_reason: str | None
    resolution: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class EscalationPage(Page[EscalationOut]):
    """Escalations, newest first."""


class EscalationEventBase(BaseModel):
    """What every escalation event carries; `type` and `data` come with each event type's schema."""

    seq: int
    at: datetime
    actor_id: str | None
    actor: PersonRef | None = Field(description="`actor_id` with a name (null for none)")
    actor_role: str | None


EscalationEventOut = event_union("Escalation", EscalationEventBase, ESCALATION_EVENT_DATA)


class EscalationDetail(EscalationOut):
    timeline: list[EscalationEventOut]  # type: ignore[valid-type]
