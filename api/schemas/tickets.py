"""Bodies of the ticket endpoints (the OpenAPI document is generated from these)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas.event_union import event_union
from api.schemas.pages import Page
from api.schemas.people import PersonRef
from api.schemas.sla import SlaOut
from api.schemas.ticket_events import TICKET_EVENT_DATA
from api.strict_body import StrictBody
from domain.ticket.state import Channel, Environment, Kind, TicketStatus, Tier

Text = Field(min_length=1, max_length=64_000)


class TranscriptLine(StrictBody):
    author: Literal["customer", "agent"]
    body: str = Field(min_length=1, max_length=8000)
    at: datetime | None = None


class ConferenceIn(StrictBody):
    scheduled_at: datetime = Field(description="when the call starts (timezone-aware)")
    minutes: int = Field(default=30, ge=5, le=480)
    link: str = Field(default="", max_length=500, pattern=r"^(https://\S+)?$", description="https only")
    code: str | None = Field(default=None, max_length=100)


class ResourceIn(StrictBody):
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=9, max_length=1000, pattern=r"^https://\S+$", description="https only")


class TicketCreate(StrictBody):
    subject: str = Field(min_length=3, max_length=200)
    description: str = Text
    channel: Channel = Channel.WEB
    kind: Kind = Kind.QUESTION
    severity: int = Field(default=3, ge=1, le=4)
    environment: Environment = Environment.PRODUCTION
    product: str | None = Field(default=None, max_length=100)
    module: str | None = Field(default=None, max_length=100)
    impact: str | None = Field(default=None, max_length=200)
    cc: list[str] = Field(default_factory=list, max_length=20, description="user ids of extra participants")
    requester_id: str | None = Field(
        default=None, max_length=36, description="staff and org admins may open a ticket on a user's behalf"
    )
    follow_up_of: int | None = Field(default=None, ge=1, description="a closed ticket this one follows up")
    attachments: list[str] = Field(
        default_factory=list, max_length=5, description="ids from POST /v1/attachments"
    )
    allow_duplicate: bool = Field(
        default=False, description="open it even if a similar open ticket of the organisation exists"
    )
    transcript: list[TranscriptLine] = Field(
        default_factory=list, max_length=500, description="chat tickets: the conversation so far"
    )
    conference: ConferenceIn | None = Field(default=None, description="conference-call tickets: the meeting")

    @model_validator(mode="after")
    def _channel_details(self) -> TicketCreate:
        if self.transcript and self.channel is not Channel.CHAT:
            raise ValueError("transcript: only chat tickets carry a transcript")
        if (self.conference is not None) != (self.channel is Channel.CONFERENCE):
            raise ValueError("conference: required for conference tickets, and only for them")
        if self.conference is not None and self.conference.scheduled_at.tzinfo is None:
            raise ValueError("conference.scheduled_at: give a timezone")
        return self


class EscalationViewOut(BaseModel):
    """The ticket's latest escalation: stage, estimated date, and each dev card's progress."""

    id: str
    stage: str
    target: str
    eta: str | None = None
    cards: list[dict[str, str]] = Field(default_factory=list)
    reason: str | None = None


class TicketOut(BaseModel):
    id: int
    org_id: str
    requester_id: str
    requester: PersonRef
    assignee_id: str | None
    assignee: PersonRef | None
    status: TicketStatus
    severity: int
    impact: str | None
    tier: Tier
    channel: Channel
    kind: Kind
    product: str | None
    module: str | None
    environment: Environment
    subject: str
    description: str
    cc: list[str]
    cc_users: list[PersonRef] = Field(description="`cc` with names, in the same order")
    follow_up_of: int | None
    created_at: datetime
    updated_at: datetime
    pending_since: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    first_response_at: datetime | None
    version: int
    sla: SlaOut | None = Field(default=None, description="SLA policy and live clocks")
    escalation: EscalationViewOut | None = None
    satisfaction: dict[str, Any] | None = None
    merged_into: int | None = None
    chat_pending: bool = Field(
        default=False, description="a live chat whose SLA starts when an agent converts it"
    )
    conference: dict[str, Any] | None = None
    resources: list[dict[str, str]] = Field(default_factory=list, description="articles and links shared")
    group_id: str | None = Field(default=None, description="the group (queue) the ticket is in")
    tags: list[str] = Field(default_factory=list)
    allowed_actions: list[str] = Field(description="what the caller may do with the ticket now")


class TimelineEventBase(BaseModel):
    """What every ticket event carries; `type` and `data` come with each event type's schema."""

    seq: int
    at: datetime
    actor_id: str | None
    actor: PersonRef | None = Field(description="`actor_id` with a name (null for none)")
    actor_role: str | None
    on_behalf_of: str | None = Field(default=None, description="the agent acting through support access")
    on_behalf_of_user: PersonRef | None = Field(default=None, description="`on_behalf_of` with a name")


TimelineEvent = event_union("Ticket", TimelineEventBase, TICKET_EVENT_DATA)


class AttachmentRef(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str


class TicketDetail(TicketOut):
    timeline: list[TimelineEvent]  # type: ignore[valid-type]
    attachments: list[AttachmentRef] = Field(default_factory=list)


class TicketSort(StrEnum):
    SLA = "sla"
    ACTIVITY = "activity"
    CREATED = "created"


class TicketPage(Page[TicketOut]):
    """Tickets: for staff by next SLA deadline unless `sort` says otherwise, for customers newest first."""


class ReplyIn(StrictBody):
    body: str = Text
    internal: bool = Field(default=False, description="an internal note, visible to staff only")
    await_customer: bool = Field(default=False, description="agents: set the ticket to pending")
    attachments: list[str] = Field(
        default_factory=list, max_length=5, description="ids from POST /v1/attachments"
    )
    resources: list[ResourceIn] = Field(
        default_factory=list, max_length=10, description="agents: knowledge-base articles and links to share"
    )


class MergeIn(StrictBody):
    into: int = Field(ge=1, description="the ticket that stays open and receives this one's messages")
