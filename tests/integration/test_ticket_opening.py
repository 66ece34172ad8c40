"""Opening a ticket is one workflow task: the start and the `opened` update go as update-with-start.

Against the real dev server, worker and Postgres. Issue #14: with start-then-update the run's first
workflow task recorded and projected the ticket, and the update waited for a second task whenever
the worker picked the first one up before the update reached the server (an idle worker does: its
poll is already waiting). The test makes that certain: its client lets a plain start return only
once the run's first workflow task has completed. Update-with-start never goes through that path.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.worker import Worker

from domain.ticket.state import NewTicket
from infra.settings import Settings
from services.ticket_opening import _start_ticket
from tests.support.tickets import next_ticket_id
from workflows.ticket_input import ticket_workflow_id

TASK_COMPLETED = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
UPDATE_ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
UPDATE_COMPLETED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED


class PromptWorker(Interceptor):
    """A plain start returns once the worker has completed the run's first workflow task."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _PromptWorkerOutbound(next)


class _PromptWorkerOutbound(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle:
        handle = await super().start_workflow(input)
        async with asyncio.timeout(10):
            while TASK_COMPLETED not in [e.event_type async for e in handle.fetch_history_events()]:
                await asyncio.sleep(0.02)
        return handle


def prompt_worker_client(client: Client) -> Client:
    config = client.config()
    config["interceptors"] = [*config["interceptors"], PromptWorker()]
    return Client(**config)


async def history_of(client: Client, ticket_id: int) -> list[HistoryEvent]:
    return list((await client.get_workflow_handle(ticket_workflow_id(ticket_id)).fetch_history()).events)


def first_task(events: list[HistoryEvent]) -> list[HistoryEvent]:
    """The events the run's first workflow task produced (after its completion, before the next
    task is scheduled)."""
    start = next(i for i, e in enumerate(events) if e.event_type == TASK_COMPLETED)
    produced = []
    for event in events[start + 1 :]:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            break
        produced.append(event)
    return produced


def kinds(events: list[HistoryEvent]) -> list[str]:
    """Event types by name, local activities (the projection) as `local activity`."""
    return [
        "local activity"
        if e.marker_recorded_event_attributes.marker_name == "core_local_activity"
        else EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
        for e in events
    ]


async def new_ticket(engine: AsyncEngine) -> NewTicket:
    return NewTicket(
        id=await next_ticket_id(engine),
        org_id=str(uuid.uuid4()),
        requester_id=str(uuid.uuid4()),
        subject="Invoice export fails",
        description="The CSV export stops at 500 rows.",
        severity=2,
        group_id="g-billing",
    )


async def test_a_create_is_recorded_projected_and_answered_in_one_workflow_task(
    client: Client, engine: AsyncEngine, worker: Worker, settings: Settings
) -> None:
    new = await new_ticket(engine)
    created = await _start_ticket(prompt_worker_client(client), settings, new)
    assert (created["id"], created["version"]) == (new.id, 1)
    events = await history_of(client, created["id"])
    produced = kinds(first_task(events))
    # The first task accepted `opened`, projected (the local activity) and completed the update.
    # (The run's patch marker and its TemporalChangeVersion upsert may come first: workflows/patches.py.)
    assert "WORKFLOW_EXECUTION_UPDATE_ACCEPTED" in produced, produced
    assert produced.index("WORKFLOW_EXECUTION_UPDATE_ACCEPTED") < produced.index("local activity"), produced
    assert "local activity" in produced, produced
    assert "WORKFLOW_EXECUTION_UPDATE_COMPLETED" in produced, produced
    assert produced.index("local activity") < produced.index("WORKFLOW_EXECUTION_UPDATE_COMPLETED")
    completed = next(i for i, e in enumerate(events) if e.event_type == UPDATE_COMPLETED)
    assert [e.event_type for e in events[:completed]].count(TASK_COMPLETED) == 1
    accepted = next(e for e in events if e.event_type == UPDATE_ACCEPTED)
    request = accepted.workflow_execution_update_accepted_event_attributes.accepted_request
    assert (request.meta.update_id, request.input.name) == ("opened", "opened")


async def test_a_repeated_create_answers_the_same_ticket(
    client: Client, engine: AsyncEngine, worker: Worker, settings: Settings
) -> None:
    """A create retried (the API timed out, the caller sent it again) joins the running ticket: two at
    once and one after, one run, one `opened` update, the same answer each time."""
    new = await new_ticket(engine)
    first, second = await asyncio.gather(
        _start_ticket(client, settings, new), _start_ticket(client, settings, new)
    )
    again = await _start_ticket(client, settings, new)
    assert first["id"] == second["id"] == again["id"] == new.id
    assert first["version"] == second["version"] == again["version"] == 1
    assert first["status"] == again["status"] == "open"

    handle = client.get_workflow_handle(ticket_workflow_id(new.id))
    description = await handle.describe()
    assert description.status is WorkflowExecutionStatus.RUNNING
    assert await description.static_summary() == f"#{new.id} Sev2 Invoice export fails"
    runs = [w async for w in client.list_workflows(f"WorkflowId = '{ticket_workflow_id(new.id)}'")]
    assert len({w.run_id for w in runs}) <= 1  # visibility may lag; never a second run
    events = await history_of(client, new.id)
    assert [e.event_type for e in events].count(UPDATE_ACCEPTED) == 1
    started = events[0].workflow_execution_started_event_attributes
    assert set(started.search_attributes.indexed_fields) == {
        "TicketStatus",
        "TicketSeverity",
        "TicketOrg",
        "TicketTier",
        "TicketGroup",
    }
