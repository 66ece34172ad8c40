"""A person named in a response: the id it always carried, and now the name beside it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PersonRef(BaseModel):
    id: str
    name: str | None = Field(description="null for an id that names no user (anymore)")
