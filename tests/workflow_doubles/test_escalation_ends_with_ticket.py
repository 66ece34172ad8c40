"""Issue #14: an escalation never outlives its ticket, whatever the order of events.

Closing or merging an escalated ticket withdraws its escalation (a terminal `withdrawn` stage with
the ticket's reason, a comment on its dev cards), and the closed ticket shows how it ended. Each
test drives one order: a plain close, a merge, a close while an escalation update waits for its
projection, a close at the same moment the escalation resolves, and an escalation whose ticket's
workflow had already completed.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio.client import WorkflowHandle

from domain.actors import Actor
from domain.escalation.commands import CreateCard, MoveStage, Verify
from domain.escalation.state import EscalationState, NewEscalation, Stage, Target
from domain.ticket.commands import Close, MergeInto
from domain.ticket.state import TicketState, TicketStatus
from tests.support.tickets import AGENT, customer
from tests.workflow_doubles.conftest import DoublesWorld
from tests.workflow_doubles.test_escalation_rules import ENGINEER, escalated
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import EscalationInput, EscalationSettings, escalation_workflow_id
from workflows.ticket import TicketWorkflow


async def requester_of(ticket: WorkflowHandle) -> Actor:
    state: TicketState = await ticket.query(TicketWorkflow.state)
    return customer(state.requester_id)


def agree(ticket: TicketState, escalation: EscalationState) -> None:
    """The closed ticket shows the escalation's own end, and that end is terminal."""
    assert ticket.status is TicketStatus.CLOSED
    assert not escalation.active
    assert ticket.escalation is not None and ticket.escalation.stage == escalation.stage.value
    assert not ticket.escalation_active


async def test_closing_withdraws_the_escalation_and_tells_its_cards(world: DoublesWorld) -> None:
    ticket, escalation, ticket_id, escalation_id = await escalated(world)
    await escalation.execute_update(EscalationWorkflow.create_card, CreateCard(ENGINEER))
    while not (await escalation.query(EscalationWorkflow.state)).cards:
        await asyncio.sleep(0.05)
    key = (await escalation.query(EscalationWorkflow.state)).cards[0].key

    await world.env.sleep(timedelta(seconds=1000))  # a reconcile (every 900 s) has run beside the loop
    await ticket.execute_update(TicketWorkflow.close, Close(actor=await requester_of(ticket)))

    ended: EscalationState = await escalation.result()
    assert ended.stage is Stage.WITHDRAWN
    assert ended.withdrawal_reason == f"ticket #{ticket_id} closed by the requester"
    agree(await ticket.result(), ended)
    told = [c for c in world.doubles.comments if c.keys == [key]]
    assert told and "withdrawn" in told[-1].text
    assert ("stage_changed", "withdrawn") in [
        (e["type"], e["data"].get("to"))
        for e in world.doubles.timelines[("escalation", escalation_id)].values()
    ]


async def test_merging_withdraws_the_escalation_with_the_merge_as_reason(world: DoublesWorld) -> None:
    ticket, escalation, ticket_id, _ = await escalated(world)
    await ticket.execute_update(TicketWorkflow.merge_into, MergeInto(AGENT, target_id=ticket_id + 1))

    ended: EscalationState = await escalation.result()
    assert ended.stage is Stage.WITHDRAWN
    assert ended.withdrawal_reason == f"ticket #{ticket_id} merged as a duplicate of #{ticket_id + 1}"
    agree(await ticket.result(), ended)


async def test_close_while_an_escalation_update_waits_for_its_projection(world: DoublesWorld) -> None:
    ticket, escalation, _, escalation_id = await escalated(world)
    release = world.doubles.hold(escalation_id)
    move = asyncio.create_task(
        escalation.execute_update(EscalationWorkflow.move_stage, MoveStage(ENGINEER, "engineering", "on it"))
    )
    await world.doubles.holding[escalation_id].wait()  # the update is recorded, its projection held

    await ticket.execute_update(TicketWorkflow.close, Close(actor=await requester_of(ticket)))
    release.set()
    del world.doubles.held[escalation_id]

    moved = await move
    assert moved.stage in (Stage.ENGINEERING, Stage.WITHDRAWN)  # answered, whichever came first after it
    ended: EscalationState = await escalation.result()
    assert ended.stage is Stage.WITHDRAWN
    stages = [
        e["data"]["to"]
        for _, e in sorted(world.doubles.timelines[("escalation", escalation_id)].items())
        if e["type"] == "stage_changed"
    ]
    assert stages == ["engineering", "withdrawn"]
    agree(await ticket.result(), ended)


async def test_escalation_resolving_as_the_ticket_closes_ends_once_and_both_agree(
    world: DoublesWorld,
) -> None:
    ticket, escalation, _, _ = await escalated(world)
    requester = await requester_of(ticket)
    await escalation.execute_update(EscalationWorkflow.move_stage, MoveStage(ENGINEER, "engineering", "x"))
    await escalation.execute_update(EscalationWorkflow.move_stage, MoveStage(ENGINEER, "verifying", "y"))

    await asyncio.gather(
        escalation.execute_update(EscalationWorkflow.verify, Verify(requester, True)),
        ticket.execute_update(TicketWorkflow.close, Close(actor=requester)),
        return_exceptions=True,  # whichever lands second may be refused (a closed ticket, an ended stage)
    )

    ended: EscalationState = await escalation.result()
    assert ended.stage in (Stage.RESOLVED, Stage.WITHDRAWN)
    final: TicketState = await ticket.result()
    agree(final, ended)


async def test_escalation_whose_ticket_workflow_completed_withdraws_itself(world: DoublesWorld) -> None:
    ticket, new = await world.start_ticket()
    await ticket.execute_update(TicketWorkflow.close, Close(actor=customer(new.requester_id)))
    await ticket.result()
    escalation_id = f"CP-G{uuid.uuid4().hex[:6]}"
    orphan = NewEscalation(
        escalation_id, new.id, new.org_id, new.requester_id, Target.ENGINEERING, "Late", "x", AGENT.user_id
    )
    escalation = await world.client.start_workflow(
        EscalationWorkflow.run,
        EscalationInput(new=orphan, settings=EscalationSettings(publish_search_attributes=False)),
        id=escalation_workflow_id(escalation_id),
        task_queue=world.queue,
    )

    ended: EscalationState = await escalation.result()  # its first news to the ticket fails
    assert ended.stage is Stage.WITHDRAWN
    assert ended.withdrawal_reason == f"ticket #{new.id} is closed"
