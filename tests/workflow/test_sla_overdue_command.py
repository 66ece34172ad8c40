"""A command that reaches the workflow together with the timer of an SLA deadline it is late for.

Found by `make faults`: with the worker down past a deadline, the timer and the agent's reply arrive
in one workflow task; the reply ran first, stopped the clock, and the warning or breach vanished.
Here the worker is stopped on purpose across a warning instant and the reply is admitted by the
server before a worker returns, so both land in one task; the history shows that they did.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, UpdateWorkflowExecutionLifecycleStage
from temporalio.api.update import v1 as update_pb
from temporalio.api.workflowservice.v1 import PollWorkflowExecutionUpdateRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from domain.calendar import CalendarSpec, WeeklyInterval
from domain.sla import FIRST_RESPONSE, PolicyRule, SlaPolicy
from domain.ticket.commands import Reply
from infra.settings import Settings
from tests.support.tickets import AGENT, start_ticket
from tests.workflow.test_ticket_workflow import read_events
from workflows.ticket import TicketWorkflow

ALWAYS_OPEN = CalendarSpec("UTC", tuple(WeeklyInterval(day, "00:00", "24:00") for day in range(7)))
WARNING_RATIO = 0.05  # of a one-minute first response target: the warning is due after 3 s


def fast_policy() -> SlaPolicy:
    rules = tuple(PolicyRule(severity, 1, 10) for severity in (1, 2, 3, 4))
    return SlaPolicy("overdue-test", 1, "always-open", ALWAYS_OPEN, rules, warning_ratio=WARNING_RATIO)


async def until_admitted(client: Client, handle: WorkflowHandle, update_id: str) -> None:
    """Return once the server holds the update (admitted, no worker needed to get there).

    The SDK cannot wait for ADMITTED, nor can an update call; polling the update by its id can.
    Once admitted, the update rides on the next workflow task, the one that carries the fired timer.
    """
    request = PollWorkflowExecutionUpdateRequest(
        namespace=client.namespace,
        update_ref=update_pb.UpdateRef(
            workflow_execution=WorkflowExecution(workflow_id=handle.id), update_id=update_id
        ),
        identity=client.identity,
        wait_policy=update_pb.WaitPolicy(
            lifecycle_stage=UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
        ),
    )
    for _ in range(200):
        try:
            await client.workflow_service.poll_workflow_execution_update(request)
            return
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.05)
    raise AssertionError("the update was never admitted")


async def assert_handled_in_one_task(handle: WorkflowHandle, update_id: str) -> None:
    """From the history: the one fired timer and the update were in the same workflow task.

    A workflow task's events are Scheduled, Started, Completed, then what its commands and messages
    recorded (the update's Accepted event). The task that sees a TimerFired is the first one started
    after it; the update must be accepted right after that task completes, before the next starts.
    """
    events = (await handle.fetch_history()).events
    types = [e.event_type for e in events]
    fired = [i for i, t in enumerate(types) if t == EventType.EVENT_TYPE_TIMER_FIRED]
    assert len(fired) == 1, types
    accepted = next(
        i
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id == update_id
    )
    completed = types.index(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, fired[0])
    assert completed < accepted, types
    between = types[completed:accepted]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED not in between, types


async def test_a_reply_in_the_same_task_as_an_overdue_warning_keeps_the_warning(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    from entrypoints.worker import build_worker

    queue_settings = settings.model_copy(update={"temporal_task_queue": f"overdue-{uuid.uuid4().hex[:8]}"})
    async with build_worker(client, queue_settings):
        handle, new = await start_ticket(
            client,
            engine,
            queue_settings.temporal_task_queue,
            publish_search_attributes=False,
            sla_policy=fast_policy(),
        )
        await handle.execute_update(TicketWorkflow.opened)
    # The worker is down from here. The first response clock started with the ticket (its
    # `ticket_created` instant); the calendar is open around the clock, so business time is wall
    # time: the warning is due 1 min x 0.05 = 3 s after creation.
    created = (await read_events(engine, new.id))[0]
    assert created["type"] == "ticket_created"
    warning_due = created["at"] + timedelta(minutes=1) * WARNING_RATIO
    assert warning_due == created["at"] + timedelta(seconds=3)
    await asyncio.sleep(max(0.0, (warning_due - datetime.now(UTC)).total_seconds()) + 1)

    # The timer has fired on the server, with no worker to take its task; the reply joins it.
    update_id = str(uuid.uuid4())
    reply = asyncio.create_task(
        handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="On it"), id=update_id)
    )
    await until_admitted(client, handle, update_id)
    async with build_worker(client, queue_settings):
        state = await asyncio.wait_for(reply, timeout=60)
        await handle.terminate("test over")

    await assert_handled_in_one_task(handle, update_id)
    assert state.sla is not None and state.sla.clock(FIRST_RESPONSE).warned
    events = await read_events(engine, new.id)
    types = [e["type"] for e in events]
    assert "sla_warning" in types, types
    assert types.index("sla_warning") < types.index("reply_added"), types
    warning = next(e for e in events if e["type"] == "sla_warning")
    assert datetime.fromisoformat(warning["data"]["due"]) == warning_due


async def test_a_policy_change_in_the_same_task_as_an_overdue_warning_keeps_the_warning(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    """The new version's longer target would move the warning into the future: it is recorded first."""
    from dataclasses import replace

    from entrypoints.worker import build_worker

    queue_settings = settings.model_copy(update={"temporal_task_queue": f"overdue-{uuid.uuid4().hex[:8]}"})
    async with build_worker(client, queue_settings):
        handle, new = await start_ticket(
            client,
            engine,
            queue_settings.temporal_task_queue,
            publish_search_attributes=False,
            sla_policy=fast_policy(),
        )
        opened = await handle.execute_update(TicketWorkflow.opened)
    assert opened.sla is not None
    clock = opened.sla.clock(FIRST_RESPONSE)
    warning_due = clock.at_used(opened.sla.calendar, clock.target_seconds * WARNING_RATIO)
    assert warning_due is not None
    await asyncio.sleep(max(0.0, (warning_due - datetime.now(warning_due.tzinfo)).total_seconds()) + 1)

    slower = tuple(PolicyRule(severity, 600, 6000) for severity in (1, 2, 3, 4))
    await handle.signal(TicketWorkflow.policy_changed, replace(fast_policy(), version=2, rules=slower))
    async with build_worker(client, queue_settings):
        for _ in range(100):
            types = [e["type"] for e in await read_events(engine, new.id)]
            if "sla_policy_changed" in types:
                break
            await asyncio.sleep(0.1)
        await handle.terminate("test over")

    assert "sla_warning" in types, types
    assert types.index("sla_warning") < types.index("sla_policy_changed"), types
