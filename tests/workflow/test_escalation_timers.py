"""Escalation clocks on the time-skipping server: verification reminder and auto-confirmation, ETA passed."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.escalation.commands import MoveStage, SetEta
from domain.ticket.commands import Escalate
from domain.ticket.state import TicketStatus
from tests.support.tickets import AGENT, start_ticket
from tests.workflow.test_sla_clocks import advance_to, at, skip_until
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import escalation_workflow_id
from workflows.ticket import TicketWorkflow

ENGINEER = Actor("eng-1", Role.ENGINEER, "Enzo")


async def escalated(env: WorkflowEnvironment, engine: AsyncEngine, queue: str):
    ticket, _ = await start_ticket(env.client, engine, queue, publish_search_attributes=False)
    await ticket.execute_update(TicketWorkflow.opened)
    escalation_id = f"CP-T{uuid.uuid4().hex[:6]}"
    command = Escalate(AGENT, escalation_id, "engineering", "Importer duplicates invoices")
    state = await ticket.execute_update(TicketWorkflow.escalate, command)
    assert state.status is TicketStatus.ESCALATED
    handle = env.client.get_workflow_handle_for(EscalationWorkflow.run, escalation_workflow_id(escalation_id))
    await handle.execute_update(EscalationWorkflow.opened)
    return ticket, handle


async def test_verification_reminder_then_auto_confirmation(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    monday = await advance_to(time_env, 0, 10, 0)
    ticket, escalation = await escalated(time_env, engine, skipping_worker)
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "engineering", "on it")
    )
    state = await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "verifying", "fix deployed")
    )
    assert state.stage == "verifying"
    # Three business days after Monday 10:00 is Thursday 10:00 (no holidays in the default calendar here).
    await skip_until(time_env, at(monday, 3, 9, 59))
    assert not (await escalation.query(EscalationWorkflow.state)).verification_reminded
    await skip_until(time_env, at(monday, 3, 10, 1))
    assert (await escalation.query(EscalationWorkflow.state)).verification_reminded
    await skip_until(time_env, monday + timedelta(days=10, minutes=1))
    final = await escalation.result()
    assert final.stage == "resolved"
    assert final.resolution == "no answer from the customer: confirmed automatically"
    ticket_state = await ticket.query(TicketWorkflow.state)
    assert ticket_state.status is TicketStatus.RESOLVED
    assert ticket_state.escalation is not None and ticket_state.escalation.stage == "resolved"


async def test_eta_passed_is_recorded(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    monday = await advance_to(time_env, 0, 10, 0)
    ticket, escalation = await escalated(time_env, engine, skipping_worker)
    tomorrow: date = (monday + timedelta(days=1)).date()
    state = await escalation.execute_update(
        EscalationWorkflow.set_eta, SetEta(ENGINEER, tomorrow.isoformat())
    )
    assert state.eta == tomorrow.isoformat() and not state.eta_passed
    await skip_until(time_env, at(monday, 1, 23, 59))
    assert not (await escalation.query(EscalationWorkflow.state)).eta_passed
    await skip_until(time_env, at(monday, 2, 0, 1))
    assert (await escalation.query(EscalationWorkflow.state)).eta_passed
    await escalation.terminate("test over")  # leave no running workflow behind on the shared test server
    await ticket.terminate("test over")
