"""The audit log as admins read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.pages import Page
from api.schemas.people import PersonRef


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor_id: str
    actor: PersonRef
    actor_role: str
    on_behalf_of: str | None = Field(description="the agent, when acting through support access")
    action: str = Field(description='what was done, e.g. "org.created", "key.revoked", "sla_policy.changed"')
    target: str = Field(description='to what, as "<kind>:<id or name>", e.g. "org:3f2c…", "calendar:br"')
    details: dict[str, Any] = Field(description="the act's parameters (never a secret)")


class AuditPage(Page[AuditEntryOut]):
    """Audit entries, newest first."""
