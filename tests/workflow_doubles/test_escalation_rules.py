"""Escalation rules on the time-skipping server with activity doubles: the verification reminder and
auto-confirmation, what they notify (in the projection, named by the escalation), dev cards."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.client import WorkflowHandle

from domain.actors import Actor, Role
from domain.escalation.commands import CreateCard, MoveStage, Verify
from domain.escalation.state import Stage
from domain.ticket.commands import Escalate
from domain.ticket.state import TicketStatus
from tests.support.tickets import AGENT, customer
from tests.workflow.test_sla_clocks import advance_to, at, skip_until
from tests.workflow_doubles.conftest import DoublesWorld
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import escalation_workflow_id
from workflows.ticket import TicketWorkflow

ENGINEER = Actor("eng-1", Role.ENGINEER, "Enzo")


async def escalated(world: DoublesWorld) -> tuple[WorkflowHandle, WorkflowHandle, int, str]:
    ticket, new = await world.start_ticket()
    await ticket.execute_update(TicketWorkflow.opened)
    escalation_id = f"CP-D{uuid.uuid4().hex[:6]}"
    command = Escalate(AGENT, escalation_id, "engineering", "Importer duplicates invoices")
    assert (await ticket.execute_update(TicketWorkflow.escalate, command)).status is TicketStatus.ESCALATED
    handle = world.client.get_workflow_handle_for(
        EscalationWorkflow.run, escalation_workflow_id(escalation_id)
    )
    await handle.execute_update(EscalationWorkflow.opened)
    return ticket, handle, new.id, escalation_id


async def test_verification_is_reminded_then_confirmed_automatically(world: DoublesWorld) -> None:
    monday = await advance_to(world.env, 0, 10, 0)
    ticket, escalation, ticket_id, escalation_id = await escalated(world)
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "engineering", "on it")
    )
    state = await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "verifying", "fix deployed")
    )
    assert state.stage is Stage.VERIFYING

    # Three business days after Monday 10:00 (São Paulo) is Thursday 10:00.
    await skip_until(world.env, at(monday, 3, 9, 59))
    assert "verification_reminder" not in world.doubles.owed(ticket_id, escalation_id)
    await skip_until(world.env, at(monday, 3, 10, 1))
    assert (await escalation.query(EscalationWorkflow.state)).verification_reminded

    await skip_until(world.env, monday + timedelta(days=10, minutes=1))  # auto-confirmation
    final = await escalation.result()
    assert final.stage is Stage.RESOLVED
    assert final.resolution == "no answer from the customer: confirmed automatically"
    assert (await ticket.query(TicketWorkflow.state)).status is TicketStatus.RESOLVED
    # Notifications are owed by the escalation's own events, keyed by its id, written with its rows.
    assert world.doubles.owed(ticket_id, escalation_id) == [
        "stage_changed",
        "stage_changed",
        "verification_reminder",
        "verification_answered",  # the automatic confirmation reaches staff too
        "stage_changed",
    ]
    row = world.doubles.rows[("escalation", escalation_id)]
    assert row["stage"] == "resolved" and row["snapshot"]["verification_reminded"] is True
    await ticket.terminate("test over")


async def test_a_fix_that_does_not_work_goes_back_to_engineering_and_tells_the_cards(
    world: DoublesWorld,
) -> None:
    ticket, escalation, _, _ = await escalated(world)
    state = await escalation.execute_update(EscalationWorkflow.create_card, CreateCard(ENGINEER))
    assert state.card_creations_pending == 1
    for _ in range(50):  # the card is created beside the loop; its link arrives as a later event
        state = await escalation.query(EscalationWorkflow.state)
        if state.cards:
            break
        await world.env.sleep(timedelta(seconds=1))
    assert [c.key for c in state.cards] and state.card_creations_pending == 0
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "engineering", "on it")
    )
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "verifying", "deployed")
    )
    requester = customer((await ticket.query(TicketWorkflow.state)).requester_id)
    state = await escalation.execute_update(
        EscalationWorkflow.verify, Verify(requester, False, "still broken")
    )
    assert state.stage is Stage.ENGINEERING

    def told() -> bool:  # the doubles are shared by the session: look for this card's comment
        return any(state.cards[0].key in c.keys and "still broken" in c.text for c in world.doubles.comments)

    for _ in range(50):
        if told():
            break
        await world.env.sleep(timedelta(seconds=1))
    assert told()
    await escalation.terminate("test over")
    await ticket.terminate("test over")


async def test_a_card_the_tracker_refuses_is_recorded_and_notified(world: DoublesWorld) -> None:
    ticket, escalation, ticket_id, escalation_id = await escalated(world)
    world.doubles.reject_card_creation = True
    try:
        await escalation.execute_update(EscalationWorkflow.create_card, CreateCard(ENGINEER, project="NOPE"))
        for _ in range(50):
            if "card_sync_failed" in world.doubles.owed(ticket_id, escalation_id):
                break
            await world.env.sleep(timedelta(seconds=1))
    finally:
        world.doubles.reject_card_creation = False
    state = await escalation.query(EscalationWorkflow.state)
    assert state.card_creations_pending == 0 and not state.cards
    assert "card_sync_failed" in world.doubles.owed(ticket_id, escalation_id)
    await escalation.terminate("test over")
    await ticket.terminate("test over")
