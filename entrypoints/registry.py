"""The workflows and activities one worker runs, and its sandbox settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.escalation_projection import EscalationProjectionActivities
from activities.jira import JiraActivities
from activities.notifications import NotificationActivities
from activities.policy_rollout import PolicyRolloutActivities
from activities.projection import ProjectionActivities
from activities.support_access_projection import SupportAccessActivities
from integrations.jira.settings import JiraSettings
from workflows.escalation import EscalationWorkflow
from workflows.policy_rollout import PolicyRolloutWorkflow
from workflows.support_access import SupportAccessWorkflow
from workflows.ticket import TicketWorkflow

WORKFLOWS: Sequence[type] = (TicketWorkflow, EscalationWorkflow, SupportAccessWorkflow, PolicyRolloutWorkflow)

# Pure project modules are passed through so the sandbox does not re-import them for every run.
PASSTHROUGH = (
    "domain",
    "activities",
    "integrations",
    "store",
    "workflows.search_attributes",
    "workflows.ticket_input",
    "workflows.escalation_input",
    "workflows.refusals",
)


def sandbox_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def activities_for(engine: AsyncEngine, jira: JiraSettings | None = None) -> list[Callable[..., Any]]:
    """Activities bound to this process's resources (connection pools, clients)."""
    projection = ProjectionActivities(engine)
    escalations = EscalationProjectionActivities(engine)
    notifications = NotificationActivities(engine)
    cards = JiraActivities(jira)
    support_access = SupportAccessActivities(engine)
    rollout = PolicyRolloutActivities(engine)
    return [
        projection.project_ticket,
        escalations.project_escalation,
        notifications.record_notification,
        cards.create_card,
        cards.read_cards,
        cards.comment_cards,
        support_access.project_support_access,
        support_access.support_access_version,
        rollout.page,
    ]
