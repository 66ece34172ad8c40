"""Request and response bodies of support access (seed 002's proxy login)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.pages import Page
from api.strict_body import StrictBody
from domain.support_access.grant import MAX_HOURS, MIN_HOURS


class GrantIn(StrictBody):
    hours: int = Field(
        ge=MIN_HOURS, le=MAX_HOURS, description="how long staff may act as you (at most 7 days)"
    )


class GrantOut(BaseModel):
    """The caller's grant; `status` is as of now (an expiry already past reads `expired`)."""

    user_id: str
    status: str = Field(description="active, revoked or expired")
    granted_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None = None


class ActiveGrantOut(BaseModel):
    """A valid grant as staff see it: whose account it opens and until when."""

    user_id: str
    org_id: str
    name: str
    email: str
    granted_at: datetime
    expires_at: datetime


class ActiveGrantList(Page[ActiveGrantOut]):
    """Valid grants, soonest to expire first."""


class TokenOut(BaseModel):
    """Shown once. Use it as `Authorization: Bearer esa_…`; it stops working when the grant ends."""

    token: str
    expires_at: datetime
    user_id: str
