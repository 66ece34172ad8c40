"""Requests to change a ticket. Each carries the actor and an optional client request id.

The request id makes a retried HTTP call safe: the workflow remembers the ids it has applied
(also across continue-as-new) and answers a repeat with the current state instead of acting twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.actors import Actor
from domain.ticket.macros import MacroActions
from domain.ticket.state import Tier


@dataclass
class Reply:
    actor: Actor
    body: str
    internal: bool = False
    await_customer: bool = False
    attachments: list[str] | None = None
    resources: list[dict[str, str]] | None = None
    request_id: str | None = None


@dataclass
class ConvertChat:
    """Make a chat a regular ticket: from now on its SLA clocks run."""

    actor: Actor
    request_id: str | None = None


@dataclass
class AcceptConference:
    """Support confirms the scheduled conference call (and may set the meeting link and code)."""

    actor: Actor
    link: str | None = None
    code: str | None = None
    request_id: str | None = None


@dataclass
class Resolve:
    actor: Actor
    comment: str | None = None
    request_id: str | None = None


@dataclass
class Reopen:
    actor: Actor
    reason: str | None = None
    request_id: str | None = None


@dataclass
class Close:
    actor: Actor
    reason: str | None = None
    request_id: str | None = None


@dataclass
class Assign:
    actor: Actor
    assignee_id: str | None
    request_id: str | None = None


@dataclass
class Reclassify:
    actor: Actor
    severity: int | None = None
    impact: str | None = None
    request_id: str | None = None


@dataclass
class Transfer:
    """To another tier and/or group; the API resolves the group (named, or the product owner's for L2)."""

    actor: Actor
    tier: Tier = Tier.L2
    reason: str | None = None
    request_id: str | None = None
    group_id: str | None = None


@dataclass
class Tag:
    """Add and remove tags (free-form, syntax checked: domain/ticket/tags.py)."""

    actor: Actor
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    request_id: str | None = None


@dataclass
class ApplyMacro:
    """A macro, its reply already rendered by the API; all of it is applied in one update, or none.

    `group_tier` is the tier of `actions.group_id` (groups live in Postgres, the workflow cannot look).
    """

    actor: Actor
    macro_id: str
    name: str
    reply: str | None = None
    internal: bool = False
    actions: MacroActions = field(default_factory=MacroActions)
    group_tier: Tier | None = None
    request_id: str | None = None


@dataclass
class Escalate:
    """Open an escalation; its id comes from a Postgres sequence, allocated by the API."""

    actor: Actor
    escalation_id: str
    target: str = "engineering"
    summary: str = ""
    description: str = ""
    request_id: str | None = None


@dataclass
class Feedback:
    """The requester's satisfaction answer after a resolution (seeds: yes/no plus a comment)."""

    actor: Actor
    satisfied: bool
    comment: str | None = None
    request_id: str | None = None


@dataclass
class MergeInto:
    """Close this ticket as a duplicate of `target_id` (the target keeps its SLA clocks)."""

    actor: Actor
    target_id: int
    request_id: str | None = None


@dataclass
class AbsorbMerge:
    """The target's side of a merge: the duplicate's messages and participants join it."""

    actor: Actor
    source_id: int
    requester_id: str
    cc: list[str] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    request_id: str | None = None


TicketCommand = (
    Reply
    | Resolve
    | Reopen
    | Close
    | Assign
    | Reclassify
    | Transfer
    | Escalate
    | Feedback
    | MergeInto
    | AbsorbMerge
    | ConvertChat
    | AcceptConference
    | Tag
    | ApplyMacro
)
