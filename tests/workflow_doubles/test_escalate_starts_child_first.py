"""`escalate` starts the escalation's workflow before the ticket records it ("escalate-starts-child-first").

Before, the ticket recorded `escalated` and then started the child: when the start failed, the
ticket said escalated with no escalation behind it. Now a failed start refuses the update (422 on
`escalation_id`) and the ticket is as it was; a later escalate still works. On the dev server:
on the time-skipping one, a failed child start now and then left its clock stalled for later tests.
"""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.ticket.commands import Escalate
from domain.ticket.lifecycle import LifecycleSettings
from domain.ticket.state import NewTicket, TicketStatus
from tests.support.tickets import AGENT
from tests.workflow_doubles.conftest import DoublesWorld
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import escalation_workflow_id
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import TicketWorkflowInput


async def test_an_escalation_that_cannot_start_refuses_the_escalate_and_changes_nothing(
    dev_world: DoublesWorld,
) -> None:
    world = dev_world
    handle, new = await world.start_ticket()
    await handle.execute_update(TicketWorkflow.opened)
    taken = f"CP-T{uuid.uuid4().hex[:6]}"
    squatter = await world.client.start_workflow(  # any running workflow holding the child's id
        TicketWorkflow.run,
        TicketWorkflowInput(
            new=NewTicket(new.id + 1, "org", "requester", "s", "d"),
            lifecycle=LifecycleSettings(),
            publish_search_attributes=False,
        ),
        id=escalation_workflow_id(taken),
        task_queue=world.queue,
    )
    try:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                TicketWorkflow.escalate, Escalate(AGENT, taken, "engineering", "Importer duplicates")
            )
    finally:
        await squatter.terminate("test over")
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCommand", cause
    assert cause.details[0]["field"] == "escalation_id"

    state = await handle.query(TicketWorkflow.state)
    assert state.status is TicketStatus.OPEN and state.escalation is None
    assert "escalated" not in [t for _, t in world.doubles.timeline("ticket", new.id)]

    fresh = f"CP-T{uuid.uuid4().hex[:6]}"
    escalated = await handle.execute_update(
        TicketWorkflow.escalate, Escalate(AGENT, fresh, "engineering", "Importer duplicates")
    )
    assert escalated.status is TicketStatus.ESCALATED and escalated.escalation is not None
    child = world.client.get_workflow_handle_for(EscalationWorkflow.run, escalation_workflow_id(fresh))
    assert (await child.execute_update(EscalationWorkflow.opened)).ticket_id == new.id
    await child.terminate("test over")
    await handle.terminate("test over")
