"""Bodies of the identity endpoints: who am I, organisations, users and API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.pages import Page
from api.strict_body import StrictBody
from domain.actors import Role


class Me(BaseModel):
    id: str
    name: str
    email: str
    role: Role
    organisation: OrgOut


class OrgIn(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")


class OrgOut(BaseModel):
    id: str
    name: str
    slug: str
    sla_policy: str | None = None


class OrgPatch(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    sla_policy: str | None = Field(default=None, max_length=64, description="the SLA policy of new tickets")


class UserIn(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    role: Role
    locale: str = Field(default="en", pattern=r"^(en|pt-BR)$")


class UserOut(BaseModel):
    id: str
    org_id: str
    name: str
    email: str
    role: Role
    locale: str


class KeyIn(StrictBody):
    name: str = Field(default="", max_length=200)
    expires_at: datetime | None = None


class KeyOut(BaseModel):
    id: str
    user_id: str
    name: str
    prefix: str
    expires_at: datetime | None
    key: str | None = Field(default=None, description="shown once, at creation")


Me.model_rebuild()


class UserPage(Page[UserOut]):
    """Users, best match first (alphabetical without `q`)."""


class OrgPage(Page[OrgOut]):
    """Organisations, best match first (alphabetical without `q`)."""
