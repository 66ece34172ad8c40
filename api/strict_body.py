"""The base of every request body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictBody(BaseModel):
    """Unknown fields are refused so that a typo does not silently do nothing."""

    model_config = ConfigDict(extra="forbid")
