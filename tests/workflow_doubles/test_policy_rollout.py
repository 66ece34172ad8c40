"""The SLA policy rollout on the time-skipping server: every open ticket on the policy is re-targeted,
page by page across continue-as-new, and a ticket whose workflow is gone counts as failed."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

from domain.sla import default_policy
from domain.sla_rollout import PolicyRolloutInput, RolloutProgress, rollout_workflow_id
from domain.ticket.state import TicketState
from tests.workflow_doubles.conftest import DoublesWorld
from workflows.policy_rollout import PolicyRolloutWorkflow
from workflows.ticket import TicketWorkflow


async def test_rollout_retargets_every_open_ticket_across_runs(world: DoublesWorld) -> None:
    v1 = replace(default_policy(), name=f"p-{uuid.uuid4().hex[:8]}")
    tickets = [(await world.start_ticket(sla_policy=v1))[0] for _ in range(3)]
    for ticket in tickets:
        await ticket.execute_update(TicketWorkflow.opened)
    ids = [int(t.id.split("-")[-1]) for t in tickets]
    gone = max(ids) + 1  # on the policy in the read model, but no workflow: closed long ago
    world.doubles.policy_tickets[v1.name] = [*ids, gone]
    v2 = replace(v1, version=2)

    handle = await world.client.start_workflow(
        PolicyRolloutWorkflow.run,
        PolicyRolloutInput(v2, page_size=2, pages_per_run=1),
        id=rollout_workflow_id(v2.name, v2.version),
        task_queue=world.queue,
    )
    done: RolloutProgress = await handle.result()

    assert done == RolloutProgress(v1.name, 2, total=4, applied=3, failed=1, after_id=gone, done=True)
    assert (await handle.describe()).run_id != handle.first_execution_run_id, "it continued as new"
    for ticket in tickets:  # delivered (in each ticket's history); the ticket applies it at once
        for _ in range(50):
            state: TicketState = await ticket.query(TicketWorkflow.state)
            if state.sla is not None and state.sla.policy.version == 2:
                break
            await asyncio.sleep(0.05)
        assert state.sla is not None and state.sla.policy.version == 2
    for ticket in tickets:
        await ticket.terminate("test over")
