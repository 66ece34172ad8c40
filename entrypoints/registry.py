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
# Production also shares the workflows' own modules: the sandbox would otherwise import them afresh
# for every run, ~150 KiB per cached ticket (BENCHMARKS.md, memory per cached ticket). The sandbox
# still checks them where it imports them: every workflow test, replay and recorded history runs
# with `sandbox_runner(checked=True)`; ruff bans clocks, randomness and the environment in them.
SHARED_IN_PRODUCTION = (*PASSTHROUGH, "workflows")


def sandbox_runner(checked: bool = False) -> SandboxedWorkflowRunner:
    """The worker's sandbox; `checked` imports workflows/ afresh per run under its restrictions."""
    modules = PASSTHROUGH if checked else SHARED_IN_PRODUCTION
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*modules)
    return SandboxedWorkflowRunner(restrictions=restrictions)


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
