"""Bodies of the macro endpoints: definitions (admins) and previews (agents)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.strict_body import StrictBody


class MacroActionsIn(StrictBody):
    status: Literal["pending", "resolved"] | None = None
    group_id: str | None = Field(default=None, max_length=36)
    assignee_id: str | None = Field(default=None, max_length=36, description='a staff user id, or "me"')
    tags_add: list[str] = Field(default_factory=list, max_length=30)
    tags_remove: list[str] = Field(default_factory=list, max_length=30)
    severity: int | None = Field(default=None, ge=1, le=4)


class MacroIn(StrictBody):
    name: str = Field(min_length=1, max_length=100)
    group_id: str | None = Field(default=None, max_length=36, description="null: offered on every ticket")
    reply: str | None = Field(
        default=None,
        max_length=64_000,
        description="text with placeholders: {{requester.name}}, {{requester.email}}, {{ticket.id}}, "
        "{{ticket.subject}}, {{ticket.status}}, {{ticket.severity}}, {{ticket.product}}, {{agent.name}}, "
        "{{agent.email}}, {{group.name}}",
    )
    internal: bool = Field(default=False, description="the reply is an internal note")
    actions: MacroActionsIn = Field(default_factory=MacroActionsIn)


class MacroOut(BaseModel):
    id: str
    name: str
    group_id: str | None
    reply: str | None
    internal: bool
    actions: dict[str, Any]


class MacroPreviewOut(BaseModel):
    macro_id: str
    name: str
    reply: str | None = Field(description="the reply as the customer would read it")
    changes: list[dict[str, Any]] = Field(
        description="the timeline entries applying it would record, in order"
    )
