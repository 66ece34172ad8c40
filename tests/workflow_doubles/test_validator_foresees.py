"""An update's validator decides on what its handler will see (EntityWorkflow._validate).

The ticket's handler first records the SLA warnings and breaches already due (`_before_decide`);
a breach may move the ticket to L2 (the policy's breach action). A transfer to L2 arriving in the
same workflow task as that overdue breach used to pass the validator (still L1), enter history as
accepted and then fail in its handler; now the validator refuses it before history.

Both reach one workflow task by construction: a ticket's run continued (as continue-as-new does)
with its first response breach already due starts while no worker polls its queue, the transfer
is admitted by the server, then a worker starts and takes the run's first task with the update.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError

from domain.sla import FIRST_RESPONSE, BreachActions, PolicyRule, SlaPolicy
from domain.ticket.commands import Transfer
from domain.ticket.state import NewTicket, TicketState, Tier
from tests.support.tickets import AGENT
from tests.workflow.test_sla_overdue_command import ALWAYS_OPEN, until_admitted
from tests.workflow_doubles.conftest import DoublesWorld, doubles_worker
from tests.workflow_doubles.history import events_of
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import TicketWorkflowInput, ticket_workflow_id


def breach_moves_to_l2() -> SlaPolicy:
    rules = tuple(PolicyRule(severity, 60, 600) for severity in (1, 2, 3, 4))
    return SlaPolicy(
        "breach-to-l2",
        1,
        "always-open",
        ALWAYS_OPEN,
        rules,
        breach_actions=BreachActions(transfer_to_l2=True),
    )


async def test_a_transfer_the_overdue_breach_already_made_is_refused_before_history(
    world: DoublesWorld,
) -> None:
    queue = f"one-task-{uuid.uuid4().hex[:8]}"
    now = await world.env.get_current_time()
    new = NewTicket(
        random.randrange(10**9, 2 * 10**9), "org", "requester", "s", "d", sla_policy=breach_moves_to_l2()
    )
    state = TicketState.opened(new, now - timedelta(minutes=61))  # breached a minute ago
    state.version = 1  # its `ticket_created`, recorded and projected by the run before
    assert state.tier is Tier.L1
    handle = await world.client.start_workflow(
        TicketWorkflow.run,
        TicketWorkflowInput(state=state, projected_version=1, publish_search_attributes=False),
        id=ticket_workflow_id(new.id),
        task_queue=queue,
    )
    update_id = str(uuid.uuid4())
    transfer = asyncio.create_task(
        handle.execute_update(TicketWorkflow.transfer, Transfer(AGENT, Tier.L2), id=update_id)
    )
    await until_admitted(world.client, handle, update_id)
    async with doubles_worker(world, queue):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await asyncio.wait_for(transfer, timeout=30)
        after = await handle.query(TicketWorkflow.state)
        await handle.terminate("test over")

    assert "already in that tier" in str(refused.value.cause)
    assert after.tier is Tier.L2 and after.sla is not None and after.sla.clock(FIRST_RESPONSE).breached
    accepted = [
        e
        for e in await events_of(handle)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id == update_id
    ]
    assert accepted == [], "accepted by the validator, then refused by the handler"
    timeline = [t for _, t in world.doubles.timeline("ticket", new.id)]
    assert timeline == ["sla_warning", "sla_breached", "transferred"], timeline
