"""Bodies of the report endpoints."""

from __future__ import annotations

from pydantic import BaseModel


class SatisfactionRow(BaseModel):
    org_id: str
    agent_id: str | None
    answers: int
    satisfied: int
    satisfaction_rate: float
