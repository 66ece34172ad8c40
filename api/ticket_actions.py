"""The ticket actions the API offers: one entry, with its body schema, per action.

Adding an action: a command in domain/ticket/commands.py, its rule in domain/ticket/transitions.py,
its update in workflows/ticket.py, and an entry here (with a body schema whose fields are the
command's, by name). `api.action_routes` makes the route; `services.commands.act` sends it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.action_routes import TicketAction
from api.strict_body import StrictBody
from domain.ticket.commands import (
    AcceptConference,
    Assign,
    Close,
    ConvertChat,
    Feedback,
    Reclassify,
    Reopen,
    Resolve,
    Tag,
    Transfer,
)
from domain.ticket.state import Tier
from services import tickets
from services.context import Context
from services.transfers import transfer_target
from workflows.ticket import TicketWorkflow


class AcceptConferenceIn(StrictBody):
    link: str | None = Field(default=None, max_length=500, pattern=r"^https://\S+$", description="https only")
    code: str | None = Field(default=None, max_length=100)


class FeedbackIn(StrictBody):
    satisfied: bool
    comment: str | None = Field(default=None, max_length=4000)


class ResolveIn(StrictBody):
    comment: str | None = Field(default=None, max_length=2000)


class ReasonIn(StrictBody):
    reason: str | None = Field(default=None, max_length=2000)


class AssignIn(StrictBody):
    assignee_id: str | None = Field(max_length=36, description="a staff user id, or null to unassign")


class ReclassifyIn(StrictBody):
    severity: int | None = Field(default=None, ge=1, le=4)
    impact: str | None = Field(default=None, max_length=200)


class TransferIn(StrictBody):
    tier: Tier = Tier.L2
    reason: str | None = Field(default=None, max_length=2000)
    group_id: str | None = Field(
        default=None,
        max_length=36,
        description="a group to move the ticket to (at its tier); for L2 without one, the product owner's",
    )


class TagIn(StrictBody):
    add: list[str] = Field(default_factory=list, max_length=30, description="free-form tags (one word each)")
    remove: list[str] = Field(default_factory=list, max_length=30)


async def _check_assignee(context: Context, ticket_id: int, body: Any) -> None:
    await tickets.check_assignee(context, ticket_id, body.assignee_id)


async def _transfer_target(context: Context, ticket_id: int, body: Any) -> dict[str, Any]:
    return await transfer_target(context, ticket_id, body.tier, body.group_id)


# One entry per action: (name, path, workflow update, command, summary, body schema, ...).
ACTIONS = [
    TicketAction(
        "convert_chat",
        "convert",
        TicketWorkflow.convert_chat,
        ConvertChat,
        "Turn a chat into a regular ticket (agents)",
        description="The SLA clocks of a chat start when an agent makes it a regular ticket.",
    ),
    TicketAction(
        "accept_conference",
        "conference/accept",
        TicketWorkflow.accept_conference,
        AcceptConference,
        "Confirm the conference call (staff)",
        AcceptConferenceIn,
        description="The participants get the confirmation by e-mail; a reminder goes out before the call.",
    ),
    TicketAction(
        "feedback",
        "feedback",
        TicketWorkflow.feedback,
        Feedback,
        "Satisfaction survey (requester only)",
        FeedbackIn,
        body_required=True,
    ),
    TicketAction("resolve", "resolve", TicketWorkflow.resolve, Resolve, "Resolve (staff)", ResolveIn),
    TicketAction("reopen", "reopen", TicketWorkflow.reopen, Reopen, "Reopen a resolved ticket", ReasonIn),
    TicketAction("close", "close", TicketWorkflow.close, Close, "Close (requester or org admin)", ReasonIn),
    TicketAction(
        "assign",
        "assign",
        TicketWorkflow.assign,
        Assign,
        "Assign to a staff member (staff)",
        AssignIn,
        body_required=True,
        check=_check_assignee,
    ),
    TicketAction(
        "reclassify",
        "reclassify",
        TicketWorkflow.reclassify,
        Reclassify,
        "Change severity / impact (staff)",
        ReclassifyIn,
        body_required=True,
    ),
    TicketAction(
        "transfer",
        "transfer",
        TicketWorkflow.transfer,
        Transfer,
        "Transfer to another tier or group (agents)",
        TransferIn,
        body_required=True,
        description="To the group named, at its tier; to L2 without a group: the product owner's group.",
        check=_transfer_target,
    ),
    TicketAction(
        "tag", "tags", TicketWorkflow.tag, Tag, "Add and remove tags (staff)", TagIn, body_required=True
    ),
]
