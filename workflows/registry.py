"""The workflows and activities one worker runs, and its sandbox settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.notifications import NotificationActivities
from activities.projection import ProjectionActivities
from workflows.ticket import TicketWorkflow

WORKFLOWS: Sequence[type] = (TicketWorkflow,)

# Pure project modules are passed through so the sandbox does not re-import them for every run.
PASSTHROUGH = ("domain", "activities", "store", "workflows.search_attributes", "workflows.ticket_input")


def sandbox_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def activities_for(engine: AsyncEngine) -> list[Callable[..., Any]]:
    """Activities bound to this process's resources (connection pools, clients)."""
    projection = ProjectionActivities(engine)
    notifications = NotificationActivities(engine)
    return [projection.project_ticket, notifications.record_notification]
