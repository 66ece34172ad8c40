"""Bodies of the queue endpoints: groups, members, routing rules and the counts per queue."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.strict_body import StrictBody
from domain.ticket.state import Channel, Kind, Tier


class GroupIn(StrictBody):
    name: str = Field(min_length=1, max_length=100)
    tier: Tier = Tier.L1
    default: bool = Field(default=False, description="tickets no L1 routing rule matches go here")


class GroupOut(BaseModel):
    id: str
    name: str
    tier: Tier
    is_default: bool
    members: list[str] = Field(description="staff user ids")


class MemberIn(StrictBody):
    user_id: str = Field(max_length=36)


class RuleIn(StrictBody):
    group_id: str = Field(max_length=36)
    tier: Tier = Field(
        default=Tier.L1, description="L1: routes new tickets; L2: the owner on a transfer to L2"
    )
    product: str | None = Field(default=None, max_length=100)
    module: str | None = Field(default=None, max_length=100)
    kind: Kind | None = None
    org_id: str | None = Field(default=None, max_length=36)
    channel: Channel | None = None


class RuleOut(BaseModel):
    id: str
    position: int
    tier: Tier
    group_id: str
    product: str | None
    module: str | None
    kind: str | None
    org_id: str | None
    channel: str | None


class ReorderIn(StrictBody):
    tier: Tier = Tier.L1
    ids: list[str] = Field(max_length=500, description="every rule of the tier, in the new order")


class QueueOut(BaseModel):
    id: str | None = Field(description="the group; null for tickets that belong to no group")
    name: str
    tier: Tier | None
    open: int
    pending: int
    escalated: int
    unassigned: int
    breached: int
    next_deadline: datetime | None
