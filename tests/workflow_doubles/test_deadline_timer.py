"""The main loop's one timer (workflows/deadline_timer.py), read from the history it leaves.

A write that does not move the next deadline keeps the running timer ("deadline-timer-kept"):
no TimerCanceled and no second TimerStarted for it; a write that moves it still re-plans it, and
the kept timer still fires at its instant. A due deadline that records nothing is not acted on
again until a change ("deadline-not-refired"): the loop never spins.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio.worker import Worker

from domain.ticket.commands import Reply, Tag
from domain.ticket.state import TicketStatus
from entrypoints.registry import sandbox_runner
from tests.support.tickets import AGENT, customer
from tests.workflow.test_sla_clocks import skip_until
from tests.workflow_doubles.conftest import DoublesWorld
from tests.workflow_doubles.history import event_counts
from tests.workflow_doubles.skeleton_probe import Poke, ProbeInput, SkeletonProbeWorkflow, project_probe
from workflows.ticket import TicketWorkflow


async def test_writes_that_do_not_move_the_deadline_keep_its_timer(world: DoublesWorld) -> None:
    handle, new = await world.start_ticket()
    await handle.execute_update(TicketWorkflow.opened)
    pending = await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Which version?", await_customer=True)
    )
    assert pending.status is TicketStatus.PENDING and pending.pending_since is not None
    before = await event_counts(handle)
    assert before["TIMER_STARTED"] == 1, before  # the pending reminder, 7 days on

    await handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="Checking logs", internal=True))
    await handle.execute_update(TicketWorkflow.tag, Tag(actor=AGENT, add=["billing"]))
    after = await event_counts(handle)
    assert after["WORKFLOW_EXECUTION_UPDATE_COMPLETED"] == before["WORKFLOW_EXECUTION_UPDATE_COMPLETED"] + 2
    assert after["TIMER_STARTED"] == 1 and after["TIMER_CANCELED"] == 0, after

    await skip_until(world.env, pending.pending_since + timedelta(days=7, minutes=1))
    assert (await handle.query(TicketWorkflow.state)).pending_reminded, "the kept timer fired"

    # A customer reply moves the ticket back to open: the auto-resolve deadline goes, and so does
    # the timer towards it (re-planned to nothing: cancelled, not left to fire for nothing).
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=customer(new.requester_id), body="v2"))
    final = await event_counts(handle)
    assert final["TIMER_FIRED"] == 1 and final["TIMER_STARTED"] == 2 and final["TIMER_CANCELED"] == 1, final
    await handle.terminate("test over")


async def test_a_due_deadline_that_records_nothing_waits_for_a_change_instead_of_spinning(
    world: DoublesWorld,
) -> None:
    """Before "deadline-not-refired" the loop acted on it again at once, without awaiting, until the
    SDK's deadlock detector failed the workflow task (and every retry of it)."""
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    async with Worker(
        world.client,
        task_queue=queue,
        workflows=[SkeletonProbeWorkflow],
        activities=[project_probe],
        workflow_runner=sandbox_runner(checked=True),
    ):
        due = await world.env.get_current_time() + timedelta(hours=1)
        handle = await world.client.start_workflow(
            SkeletonProbeWorkflow.run,
            ProbeInput(due.isoformat()),
            id=f"probe-{uuid.uuid4().hex}",
            task_queue=queue,
        )
        try:
            await asyncio.wait_for(handle.execute_update(SkeletonProbeWorkflow.poke, Poke(AGENT)), timeout=15)
            await skip_until(world.env, due + timedelta(minutes=1))
            # Runs the workflow task after the timer fired; a spinning one fails it (after 2 s).
            poked = await asyncio.wait_for(
                handle.execute_update(SkeletonProbeWorkflow.poke, Poke(AGENT)), timeout=15
            )
            assert poked.pokes == 2
            # Acted on once when due, and once more after the change (which might have made it
            # decide something): never twice in a row without awaiting.
            assert (await handle.query(SkeletonProbeWorkflow.state)).acted == 2
            assert (await event_counts(handle))["WORKFLOW_TASK_FAILED"] == 0
        finally:
            await handle.terminate("test over")
