"""Bodies of the calendar and SLA policy administration endpoints."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas.pages import Page
from api.strict_body import StrictBody
from domain.ticket.state import Kind

HHMM = r"^([01]\d|2[0-4]):[0-5]\d$"


class WeeklyIntervalIn(StrictBody):
    weekday: int = Field(ge=0, le=6, description="0 is Monday")
    start: str = Field(pattern=HHMM, examples=["09:00"])
    end: str = Field(pattern=HHMM, examples=["12:00"], description='"24:00" (or "00:00") is midnight')


class CalendarIn(StrictBody):
    timezone: str = Field(min_length=1, max_length=64, examples=["America/Sao_Paulo"])
    weekly: list[WeeklyIntervalIn] = Field(min_length=1, max_length=70)
    holidays: list[date] = Field(default_factory=list, max_length=1000)
    holiday_country: str | None = Field(default=None, min_length=2, max_length=3, examples=["BR"])
    holiday_subdiv: str | None = Field(default=None, max_length=10, examples=["SP"])


class CalendarOut(CalendarIn):
    name: str
    version: int


class RuleIn(StrictBody):
    severity: int = Field(ge=1, le=4)
    first_response_minutes: int = Field(gt=0, le=525_600)
    resolution_minutes: int = Field(gt=0, le=5_256_000)
    product: str | None = Field(default=None, max_length=100)
    module: str | None = Field(default=None, max_length=100)
    kind: Kind | None = None


class BreachActionsIn(StrictBody):
    notify: bool = True
    transfer_to_l2: bool = False
    raise_severity: bool = False


class PolicyIn(StrictBody):
    calendar: str = Field(min_length=1, max_length=64)
    rules: list[RuleIn] = Field(min_length=4, max_length=400)
    warning_ratio: float = Field(default=0.8, gt=0, lt=1)
    breach_actions: BreachActionsIn = Field(default_factory=BreachActionsIn)
    products: list[str] = Field(
        default_factory=list, max_length=100, description="products this policy serves"
    )


class PolicyOut(PolicyIn):
    name: str
    version: int
    rollout_workflow_id: str | None = Field(
        default=None, description="on PUT: the workflow re-targeting open tickets (Temporal UI)"
    )
    rollout_url: str | None = Field(default=None, description="on PUT: where to watch the rollout's progress")


class RolloutOut(BaseModel):
    """A policy version's rollout to the open tickets on that policy."""

    workflow_id: str = Field(description="PolicyRolloutWorkflow's id, to find it in the Temporal UI")
    policy: str
    version: int
    total: int = Field(description="open tickets on the policy when the rollout began (and any found later)")
    applied: int = Field(description="tickets signalled the new version")
    failed: int = Field(description="tickets whose workflow had completed (closed meanwhile)")
    done: bool


class SlaClockOut(BaseModel):
    name: str
    status: str = Field(description="running | paused | met | breached")
    target_seconds: int
    used_seconds: int
    remaining_seconds: int = Field(description="business seconds left; negative once breached")
    due: str | None
    warned: bool
    breached: bool
    breached_at: str | None


class SlaOut(BaseModel):
    policy: str
    policy_version: int
    calendar: str
    clocks: list[SlaClockOut]


class CalendarPage(Page[CalendarOut]):
    """The latest version of each calendar, by name."""


class PolicyPage(Page[PolicyOut]):
    """The latest version of each SLA policy, by name."""
