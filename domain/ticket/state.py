"""The ticket as support staff and customers see it: vocabulary and state.

Everything here is plain data so that it can travel through Temporal's JSON converter and be
used inside workflow code without I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.sla import SlaPolicy, SlaState, start_sla


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Channel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"
    PHONE = "phone"
    CONFERENCE = "conference"
    WEB = "web"


class Kind(StrEnum):
    QUESTION = "question"
    TECHNICAL = "technical"
    INCIDENT = "incident"
    IMPROVEMENT = "improvement"


class Environment(StrEnum):
    PRODUCTION = "production"
    HOMOLOGATION = "homologation"


class Tier(StrEnum):
    L1 = "L1"
    L2 = "L2"


SEVERITIES = (1, 2, 3, 4)


@dataclass
class Conference:
    """A conference-call ticket's meeting (seed 002): scheduled time, status, link and code."""

    scheduled_at: datetime
    minutes: int = 30
    link: str = ""
    code: str | None = None
    status: str = "pending"  # pending | accepted
    reminded: bool = False


@dataclass
class NewTicket:
    """What a requester supplies when opening a ticket (validated by the API before it gets here)."""

    id: int
    org_id: str
    requester_id: str
    subject: str
    description: str
    channel: Channel = Channel.WEB
    kind: Kind = Kind.QUESTION
    severity: int = 3
    environment: Environment = Environment.PRODUCTION
    product: str | None = None
    module: str | None = None
    impact: str | None = None
    cc: list[str] = field(default_factory=list)
    follow_up_of: int | None = None
    attachments: list[str] = field(default_factory=list)
    sla_policy: SlaPolicy | None = None
    transcript: list[dict[str, str]] = field(default_factory=list)
    conference: Conference | None = None
    group_id: str | None = None  # chosen by the routing rules when the ticket is opened


@dataclass
class EscalationView:
    """The ticket's view of its latest escalation: stage, estimated date and each card's progress."""

    id: str
    stage: str
    target: str = "engineering"
    eta: str | None = None
    cards: list[dict[str, str]] = field(default_factory=list)
    reason: str | None = None


@dataclass
class Satisfaction:
    satisfied: bool
    comment: str | None
    at: datetime
    resolution_at: datetime | None


@dataclass
class TicketState:
    """The live state of one ticket, owned by its workflow."""

    id: int
    org_id: str
    requester_id: str
    subject: str
    description: str
    channel: Channel
    kind: Kind
    severity: int
    environment: Environment
    created_at: datetime
    updated_at: datetime
    status: TicketStatus = TicketStatus.OPEN
    tier: Tier = Tier.L1
    product: str | None = None
    module: str | None = None
    impact: str | None = None
    assignee_id: str | None = None
    cc: list[str] = field(default_factory=list)
    follow_up_of: int | None = None
    pending_since: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    first_response_at: datetime | None = None
    sla: SlaState | None = None
    escalation: EscalationView | None = None
    satisfaction: Satisfaction | None = None
    merged_into: int | None = None
    chat_pending: bool = False
    pending_reminded: bool = False
    conference: Conference | None = None
    resources: list[dict[str, str]] = field(default_factory=list)
    version: int = 0
    group_id: str | None = None  # the queue it is in (routing at creation, then transfers)
    tags: list[str] = field(default_factory=list)

    @property
    def verifying(self) -> bool:
        """The customer is checking a fix: the resolution clock waits on them."""
        return self.escalation is not None and self.escalation.stage == "verifying"

    @property
    def escalation_active(self) -> bool:
        ended = ("resolved", "declined", "withdrawn")
        return self.escalation is not None and self.escalation.stage not in ended

    @classmethod
    def opened(cls, new: NewTicket, at: datetime) -> TicketState:
        return cls(
            id=new.id,
            org_id=new.org_id,
            requester_id=new.requester_id,
            subject=new.subject,
            description=new.description,
            channel=new.channel,
            kind=new.kind,
            severity=new.severity,
            environment=new.environment,
            product=new.product,
            module=new.module,
            impact=new.impact,
            cc=list(new.cc),
            follow_up_of=new.follow_up_of,
            created_at=at,
            updated_at=at,
            sla=(
                start_sla(
                    new.sla_policy,
                    at,
                    new.severity,
                    new.product,
                    new.module,
                    new.kind.value,
                    held=new.channel is Channel.CHAT,
                )
                if new.sla_policy is not None
                else None
            ),
            chat_pending=new.channel is Channel.CHAT,
            conference=new.conference,
            group_id=new.group_id,
        )
