"""Helpers to start ticket workflows directly (workflow-level tests, no API)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHandle

from domain.actors import Actor, Role
from domain.ticket.lifecycle import LifecycleSettings
from domain.ticket.state import NewTicket
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import TicketWorkflowInput, ticket_workflow_id

AGENT = Actor(user_id="agent-1", role=Role.AGENT, name="Ana Agent")


def customer(requester_id: str) -> Actor:
    return Actor(user_id=requester_id, role=Role.CUSTOMER, name="Carla Customer")


async def next_ticket_id(engine: AsyncEngine) -> int:
    async with engine.begin() as conn:
        return int((await conn.execute(text("SELECT nextval('ticket_id_seq')"))).scalar_one())


async def start_ticket(
    client: Client,
    engine: AsyncEngine,
    task_queue: str,
    lifecycle: LifecycleSettings | None = None,
    publish_search_attributes: bool = True,
    **fields: object,
) -> tuple[WorkflowHandle, NewTicket]:
    new = NewTicket(
        id=await next_ticket_id(engine),
        org_id=str(fields.pop("org_id", uuid.uuid4())),
        requester_id=str(fields.pop("requester_id", uuid.uuid4())),
        subject=str(fields.pop("subject", "Invoice export fails")),
        description=str(fields.pop("description", "The CSV export stops at 500 rows.")),
        **fields,  # type: ignore[arg-type]
    )
    handle = await client.start_workflow(
        TicketWorkflow.run,
        TicketWorkflowInput(
            new=new,
            lifecycle=lifecycle or LifecycleSettings(),
            publish_search_attributes=publish_search_attributes,
        ),
        id=ticket_workflow_id(new.id),
        task_queue=task_queue,
    )
    return handle, new
