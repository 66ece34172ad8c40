"""Continue-as-new with clocks running, for the ticket and the escalation, on the time-skipping server.

The server's suggestion is stood in for (`suggest_continue_as_new`, tests/workflow_doubles/conftest.py)
for one named run; a command then wakes the main loop, which settles and continues as new. What the
next run must keep: the SLA clocks (the breach fires at its instant, worked out by hand), the stage,
the dev cards, and the request ids already answered.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from domain.escalation.commands import CreateCard, MoveStage
from domain.escalation.state import Stage
from domain.sla import FIRST_RESPONSE, default_policy
from domain.ticket.commands import Assign, Close, Reply
from domain.ticket.state import TicketStatus
from tests.support.tickets import AGENT, customer
from tests.workflow.test_sla_clocks import advance_to, at, close_to, skip_until
from tests.workflow_doubles.conftest import DoublesWorld, SuggestContinueAsNew
from tests.workflow_doubles.test_escalation_rules import ENGINEER, escalated
from workflows.entity import MAX_RUN_EVENTS
from workflows.escalation import EscalationWorkflow
from workflows.ticket import TicketWorkflow


async def run_id(handle: WorkflowHandle) -> str:
    return (await handle.describe()).run_id or ""


async def until_continued(world: DoublesWorld, handle: WorkflowHandle, first_run: str) -> str:
    latest = world.client.get_workflow_handle(handle.id)
    for _ in range(50):
        if (now := await run_id(latest)) != first_run:
            return now
        await world.env.sleep(timedelta(seconds=1))
    raise AssertionError(f"{handle.id} did not continue as new")


async def test_a_ticket_continues_as_new_with_its_sla_clocks_running(
    world: DoublesWorld, suggest_continue_as_new: SuggestContinueAsNew
) -> None:
    friday = await advance_to(world.env, 4, 16, 30)
    handle, new = await world.start_ticket(severity=1, sla_policy=default_policy())
    await handle.execute_update(TicketWorkflow.opened)
    first_run = await run_id(handle)

    await skip_until(world.env, at(friday, 0, 16, 50))
    suggest_continue_as_new.runs.add(first_run)
    assign = Assign(actor=AGENT, assignee_id="agent-1", request_id="assign-1")
    assigned = await handle.execute_update(TicketWorkflow.assign, assign)  # wakes the loop
    await until_continued(world, handle, first_run)

    latest = world.client.get_workflow_handle_for(TicketWorkflow.run, handle.id)
    state = await latest.query(TicketWorkflow.state)
    assert state.sla is not None
    clock = state.sla.clock(FIRST_RESPONSE)
    assert clock.running_since is not None and not clock.warned and not clock.breached
    # A request answered by the first run is answered, not recorded again, by the next one.
    again = await latest.execute_update(TicketWorkflow.assign, assign)
    assert again.version == assigned.version

    # Severity 1: 2 business hours to a first response, Mon-Fri 09-12 / 13-17 São Paulo. Opened
    # Friday 16:30: 30 min on Friday, then 90 min on Monday from 09:00: due Monday 10:30; the
    # warning at 80 % (96 min) is Monday 10:06.
    await skip_until(world.env, at(friday, 3, 10, 29))
    assert not (await latest.query(TicketWorkflow.state)).sla.clock(FIRST_RESPONSE).breached  # type: ignore[union-attr]
    await skip_until(world.env, at(friday, 3, 10, 31))
    timeline = world.doubles.timelines[("ticket", new.id)]
    sla = [timeline[seq] for seq in sorted(timeline) if timeline[seq]["type"].startswith("sla_")]
    assert [(e["type"], e["data"]["clock"]) for e in sla] == [
        ("sla_warning", FIRST_RESPONSE),
        ("sla_breached", FIRST_RESPONSE),
    ]
    assert close_to(sla[0]["data"]["due"], at(friday, 3, 10, 6))
    assert close_to(sla[1]["data"]["due"], at(friday, 3, 10, 30))
    assert close_to(sla[1]["at"], at(friday, 3, 10, 30)), "the breach fired on time in the new run"
    assert sorted(timeline) == list(range(1, len(timeline) + 1))
    await latest.terminate("test over")


async def test_an_escalation_continues_as_new_keeping_stage_cards_and_request_ids(
    world: DoublesWorld, suggest_continue_as_new: SuggestContinueAsNew
) -> None:
    ticket, escalation, _, escalation_id = await escalated(world)
    card = await escalation.execute_update(
        EscalationWorkflow.create_card, CreateCard(ENGINEER, request_id="card-1")
    )
    for _ in range(50):  # the card is created beside the loop; its link arrives as a later event
        state = await escalation.query(EscalationWorkflow.state)
        if state.cards:
            break
        await world.env.sleep(timedelta(seconds=1))
    assert len(state.cards) == 1
    first_run = await run_id(escalation)

    suggest_continue_as_new.runs.add(first_run)
    move = MoveStage(ENGINEER, "engineering", "on it", request_id="move-1")
    moved = await escalation.execute_update(EscalationWorkflow.move_stage, move)  # wakes the loop
    await until_continued(world, escalation, first_run)

    latest = world.client.get_workflow_handle_for(EscalationWorkflow.run, escalation.id)
    after = await latest.query(EscalationWorkflow.state)
    assert after.stage is Stage.ENGINEERING
    assert [c.key for c in after.cards] == [c.key for c in state.cards]
    assert after.version == moved.version
    # Both requests answered by the first run are answered (with the current state), not recorded
    # again, by the next one.
    assert (await latest.execute_update(EscalationWorkflow.move_stage, move)).version == moved.version
    again = await latest.execute_update(
        EscalationWorkflow.create_card, CreateCard(ENGINEER, request_id="card-1")
    )
    assert again.version == moved.version and card.version < moved.version
    assert len(again.cards) == 1 and again.card_creations_pending == 0
    # The next run still lives: a new command is recorded and projected.
    verifying = await latest.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "verifying", "deployed", request_id="move-2")
    )
    assert verifying.stage is Stage.VERIFYING and verifying.version == moved.version + 1
    assert world.doubles.rows[("escalation", escalation_id)]["stage"] == "verifying"
    # Its life ends the ordinary way (terminating a continued run stalls the time-skipping server):
    # the requester closes the ticket, which withdraws the escalation.
    requester = customer((await ticket.query(TicketWorkflow.state)).requester_id)
    await ticket.execute_update(TicketWorkflow.close, Close(actor=requester))
    assert (await latest.result()).stage is Stage.WITHDRAWN
    assert (await ticket.result()).status is TicketStatus.CLOSED


async def test_a_ticket_continues_as_new_once_its_run_reaches_the_bound(world: DoublesWorld) -> None:
    """No suggestion from the server: the run's own bound (MAX_RUN_EVENTS) ends it, so that a cached
    ticket's memory stops growing with its writes. Nothing is lost: every write is in the timeline
    once, in order, and the next run answers a request the first run already applied."""
    handle, new = await world.start_ticket(severity=3, sla_policy=default_policy())
    await handle.execute_update(TicketWorkflow.opened)
    first_run = await run_id(handle)
    latest = world.client.get_workflow_handle_for(TicketWorkflow.run, handle.id)
    writes = 0
    while await run_id(latest) == first_run:
        writes += 1
        assert writes <= MAX_RUN_EVENTS // 4, "the run outgrew its bound"
        note = Reply(actor=AGENT, body=f"note {writes}", internal=True, request_id=f"note-{writes}")
        await latest.execute_update(TicketWorkflow.reply, note)
        await world.env.sleep(timedelta(milliseconds=100))

    first = world.client.get_workflow_handle(handle.id, run_id=first_run)
    events = [e async for e in first.fetch_history_events()]
    assert events[-1].event_type is EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert MAX_RUN_EVENTS <= len(events) <= MAX_RUN_EVENTS + 15, len(events)
    assert writes >= 5, "a run holds several writes before its bound"

    again = await latest.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="note 1", internal=True, request_id="note-1")
    )
    state = await latest.query(TicketWorkflow.state)
    assert again.version == state.version, "a request the first run applied is not recorded again"
    timeline = world.doubles.timelines[("ticket", new.id)]
    assert sorted(timeline) == list(range(1, state.version + 1))
    notes = [
        timeline[seq]["data"]["body"] for seq in sorted(timeline) if timeline[seq]["type"] == "note_added"
    ]
    assert notes == [f"note {n}" for n in range(1, writes + 1)]
    await latest.terminate("test over")
