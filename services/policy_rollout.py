"""Start an SLA policy version's rollout to open tickets, and read how far it got.

Why a workflow: the rollout used to signal every open ticket inside the PUT request (up to
100,000 signals); an API restart lost the rest. Now the PUT stores the version and starts
`PolicyRolloutWorkflow` (one per version), which carries on across API restarts.
"""

from __future__ import annotations

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.sla import SlaPolicy
from domain.sla_rollout import PolicyRolloutInput, RolloutProgress, rollout_workflow_id
from infra.settings import Settings
from workflows.policy_rollout import PolicyRolloutWorkflow


async def start_rollout(client: Client, settings: Settings, policy: SlaPolicy) -> str:
    """Start (or find, if already started) the rollout of this policy version; its workflow id."""
    workflow_id = rollout_workflow_id(policy.name, policy.version)
    await client.start_workflow(
        PolicyRolloutWorkflow.run,
        PolicyRolloutInput(policy),
        id=workflow_id,
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"SLA policy {policy.name} v{policy.version} to open tickets",
    )
    return workflow_id


async def rollout_progress(client: Client, policy: str, version: int) -> RolloutProgress | None:
    """Applied / total / failed so far (the finished result once done); None if never started."""
    handle = client.get_workflow_handle_for(PolicyRolloutWorkflow.run, rollout_workflow_id(policy, version))
    try:
        description = await handle.describe()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    if description.status is WorkflowExecutionStatus.COMPLETED:
        return await handle.result()
    return await handle.query(PolicyRolloutWorkflow.progress)
