"""A closed ticket's workflow keeps taking the satisfaction answer for its feedback window (seed 002's
"Deixar feedback"), then completes; an answer ends it at once. Time-skipping server, activity doubles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.actors import Actor, Role
from domain.ticket.commands import Close, Feedback, Resolve
from domain.ticket.state import TicketStatus
from tests.support.tickets import AGENT, customer
from tests.workflow.test_sla_clocks import close_to, skip_until
from tests.workflow_doubles.conftest import DoublesWorld
from workflows.ticket import TicketWorkflow

WINDOW = timedelta(days=14)


async def test_the_requester_rates_a_closed_ticket_and_the_run_ends(world: DoublesWorld) -> None:
    handle, new = await world.start_ticket()
    requester = customer(new.requester_id)
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT))
    closed = await handle.execute_update(TicketWorkflow.close, Close(actor=requester))
    assert closed.closed_at is not None

    await skip_until(world.env, closed.closed_at + timedelta(days=3))
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    rated = await handle.execute_update(TicketWorkflow.feedback, Feedback(requester, True, "sorted"))

    assert rated.status is TicketStatus.CLOSED and rated.satisfaction is not None
    final = await handle.result()
    assert final.satisfaction is not None and final.satisfaction.satisfied
    assert close_to(final.satisfaction.at, closed.closed_at + timedelta(days=3))
    types = [t for _, t in world.doubles.timeline("ticket", new.id)]
    assert types[-2:] == ["status_changed", "feedback_given"] and types.count("feedback_given") == 1
    assert world.doubles.rows[("ticket", new.id)]["snapshot"]["satisfaction"]["satisfied"] is True


async def test_the_window_closes_after_fourteen_days_without_an_answer(world: DoublesWorld) -> None:
    handle, new = await world.start_ticket()
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT))
    closed = await handle.execute_update(TicketWorkflow.close, Close(actor=customer(new.requester_id)))
    assert closed.closed_at is not None

    await skip_until(world.env, closed.closed_at + WINDOW - timedelta(minutes=1))
    assert (await handle.describe()).status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    final = await handle.result()  # time skips to the window's end

    assert final.satisfaction is None
    assert (await handle.describe()).close_time is not None
    assert close_to((await handle.describe()).close_time, closed.closed_at + WINDOW)  # type: ignore[arg-type]
    with pytest.raises(RPCError):
        await handle.execute_update(TicketWorkflow.feedback, Feedback(customer(new.requester_id), True))


async def test_a_cc_cannot_rate_a_closed_ticket_and_the_admin_requester_can(world: DoublesWorld) -> None:
    handle, new = await world.start_ticket(cc=["cc-1"])
    admin = Actor(new.requester_id, Role.ORG_ADMIN, "Otávio")  # the requester happens to be an org admin
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.close, Close(actor=admin))

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(TicketWorkflow.feedback, Feedback(Actor("cc-1", Role.CUSTOMER), True))
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "TransitionRejected"
    rated = await handle.execute_update(TicketWorkflow.feedback, Feedback(admin, False, "slow"))
    assert rated.satisfaction is not None and not rated.satisfaction.satisfied
    assert (await handle.result()).status is TicketStatus.CLOSED
