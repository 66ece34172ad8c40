"""TicketWorkflow on the real dev server: updates, validators, projection, continue-as-new."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from domain.ticket.commands import Assign, Close, Feedback, Reclassify, Reply, Resolve, Transfer
from domain.ticket.state import TicketStatus, Tier
from infra.settings import Settings
from store.tables import ticket_events, tickets
from tests.support.tickets import AGENT, customer, start_ticket
from workflows.ticket import TicketWorkflow


async def read_row(engine: AsyncEngine, ticket_id: int) -> dict:
    async with engine.connect() as conn:
        row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).mappings().one()
        return dict(row)


async def read_events(engine: AsyncEngine, ticket_id: int) -> list[dict]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(ticket_events).where(ticket_events.c.ticket_id == ticket_id).order_by(ticket_events.c.seq)
        )
        return [dict(r) for r in rows.mappings()]


async def test_update_returns_after_projection(
    client: Client, engine: AsyncEngine, worker: Worker, settings: Settings
) -> None:
    handle, new = await start_ticket(client, engine, settings.temporal_task_queue)
    opened = await handle.execute_update(TicketWorkflow.opened)
    assert opened.status is TicketStatus.OPEN

    state = await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Can you send the file?", await_customer=True)
    )
    assert state.status is TicketStatus.PENDING
    row = await read_row(engine, new.id)
    assert row["status"] == "pending"
    assert row["version"] == state.version
    assert [e["type"] for e in await read_events(engine, new.id)] == [
        "ticket_created",
        "reply_added",
        "status_changed",
    ]


async def test_validator_rejects_before_history(
    client: Client, engine: AsyncEngine, worker: Worker, settings: Settings
) -> None:
    handle, _new = await start_ticket(client, engine, settings.temporal_task_queue)
    await handle.execute_update(TicketWorkflow.opened)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(TicketWorkflow.close, Close(actor=AGENT))
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "TransitionRejected"
    assert cause.details[0]["status"] == "open"
    assert "resolve" in cause.details[0]["allowed"]
    history = await handle.fetch_history()
    names = [e.event_type for e in history.events]
    # Only `opened` was accepted: the refused close left no UpdateAccepted event behind.
    from temporalio.api.enums.v1 import EventType

    assert names.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == 1


async def test_whole_life_and_request_dedup(
    client: Client, engine: AsyncEngine, worker: Worker, settings: Settings
) -> None:
    handle, new = await start_ticket(client, engine, settings.temporal_task_queue)
    requester = customer(new.requester_id)
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.assign, Assign(actor=AGENT, assignee_id="agent-1"))
    await handle.execute_update(TicketWorkflow.reclassify, Reclassify(actor=AGENT, severity=1, impact="high"))
    await handle.execute_update(TicketWorkflow.transfer, Transfer(actor=AGENT, tier=Tier.L2, reason="db"))
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="looking", internal=True))
    reply = Reply(actor=requester, body="Any news?", request_id="req-1")
    first = await handle.execute_update(TicketWorkflow.reply, reply)
    again = await handle.execute_update(TicketWorkflow.reply, reply)
    assert again.version == first.version  # the retried request did not add a second reply
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT))
    final = await handle.execute_update(TicketWorkflow.close, Close(actor=requester))
    assert final.status is TicketStatus.CLOSED
    # The run stays for the feedback window after the close; the requester's answer ends it.
    await handle.execute_update(TicketWorkflow.feedback, Feedback(requester, True))
    result = await handle.result()
    assert result.status is TicketStatus.CLOSED
    assert result.severity == 1 and result.tier is Tier.L2 and result.assignee_id == "agent-1"
    events = await read_events(engine, new.id)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert sum(1 for e in events if e["type"] == "reply_added") == 1
    assert (await read_row(engine, new.id))["status"] == "closed"


async def test_continue_as_new_keeps_state_and_request_ids(
    client: Client, engine: AsyncEngine, worker: Worker, settings: Settings
) -> None:
    handle, new = await start_ticket(client, engine, settings.temporal_task_queue)
    first_run = (await handle.describe()).run_id
    await handle.execute_update(TicketWorkflow.opened)
    requester = customer(new.requester_id)
    for i in range(12):
        await handle.execute_update(
            TicketWorkflow.reply,
            Reply(actor=AGENT, body=f"step {i}", await_customer=True, request_id=f"a{i}"),
        )
        await handle.execute_update(
            TicketWorkflow.reply, Reply(actor=requester, body=f"answer {i}", request_id=f"c{i}")
        )
    latest = client.get_workflow_handle(handle.id)
    assert (await latest.describe()).run_id != first_run, "the ticket should have continued as new"
    # A request id seen before continue-as-new is still recognised afterwards.
    state = await latest.execute_update(
        TicketWorkflow.reply, Reply(actor=requester, body="answer 0", request_id="c0")
    )
    events = await read_events(engine, new.id)
    assert state.version == len(events) == 1 + 12 * 4
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


async def test_search_attributes_follow_state(
    client: Client, engine: AsyncEngine, worker: Worker, settings: Settings
) -> None:
    handle, _new = await start_ticket(client, engine, settings.temporal_task_queue, severity=2)
    await handle.execute_update(TicketWorkflow.opened)
    assignee = f"agent-{uuid.uuid4().hex[:6]}"
    await handle.execute_update(TicketWorkflow.assign, Assign(actor=AGENT, assignee_id=assignee))
    desc = await handle.describe()
    from workflows import search_attributes as sa

    assert desc.typed_search_attributes.get(sa.TICKET_STATUS) == "open"
    assert desc.typed_search_attributes.get(sa.TICKET_SEVERITY) == 2
    assert desc.typed_search_attributes.get(sa.TICKET_ASSIGNEE) == assignee
