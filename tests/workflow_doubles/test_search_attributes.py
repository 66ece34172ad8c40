"""What the ticket and the escalation upsert to their search attributes, read from the history.

The ticket's start sets status, severity, org, tier and group (services/ticket_opening.py): its
first projection upserts only what the start did not ("ticket-search-attributes-seeded-from-start").
The escalation upserts its stage and dev cards only when they change ("escalation-upserts-changes-only").
On the dev server (the time-skipping one registers no search attributes), with the doubles.
"""

from __future__ import annotations

import random
import uuid

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from domain.escalation.commands import MoveStage, SetEta
from domain.ticket.commands import Assign, Escalate
from domain.ticket.lifecycle import LifecycleSettings
from domain.ticket.state import NewTicket, TicketStatus
from tests.support.tickets import AGENT
from tests.workflow_doubles.conftest import DoublesWorld
from tests.workflow_doubles.history import events_of
from tests.workflow_doubles.test_escalation_rules import ENGINEER
from workflows import search_attributes as sa
from workflows.escalation import EscalationWorkflow
from workflows.escalation_input import escalation_workflow_id
from workflows.ticket import TicketWorkflow
from workflows.ticket_input import TicketWorkflowInput, ticket_workflow_id

PATCH_ATTRIBUTE = "TemporalChangeVersion"  # the SDK's own upsert when a patch is first taken


async def upserted(handle: WorkflowHandle) -> list[set[str]]:
    """The names each UpsertWorkflowSearchAttributes event set, leaving out the SDK's patch record."""
    names = [upsert_names(e) for e in await events_of(handle) if e.HasField(UPSERT)]
    return [n for n in (n - {PATCH_ATTRIBUTE} for n in names) if n]


UPSERT = "upsert_workflow_search_attributes_event_attributes"


def upsert_names(event: HistoryEvent) -> set[str]:
    return set(event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)


async def start_published_ticket(world: DoublesWorld) -> tuple[WorkflowHandle, NewTicket]:
    """As services/ticket_opening.py starts one: search attributes set at the start."""
    new = NewTicket(
        random.randrange(10**9, 2 * 10**9), str(uuid.uuid4()), "requester", "s", "d", group_id="g1"
    )
    handle = await world.client.start_workflow(
        TicketWorkflow.run,
        TicketWorkflowInput(new=new, lifecycle=LifecycleSettings(), publish_search_attributes=True),
        id=ticket_workflow_id(new.id),
        task_queue=world.queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.TICKET_STATUS, TicketStatus.OPEN.value),
                SearchAttributePair(sa.TICKET_SEVERITY, new.severity),
                SearchAttributePair(sa.TICKET_ORG, new.org_id),
                SearchAttributePair(sa.TICKET_TIER, "L1"),
                SearchAttributePair(sa.TICKET_GROUP, "g1"),
            ]
        ),
    )
    return handle, new


async def test_the_first_projection_does_not_repeat_what_the_start_set(dev_world: DoublesWorld) -> None:
    handle, _ = await start_published_ticket(dev_world)
    await handle.execute_update(TicketWorkflow.opened)
    assert await upserted(handle) == [], "nothing differs from the start: no upsert"

    await handle.execute_update(TicketWorkflow.assign, Assign(actor=AGENT, assignee_id="agent-7"))
    assert await upserted(handle) == [{sa.TICKET_ASSIGNEE.name}]
    described = await handle.describe()
    assert described.typed_search_attributes.get(sa.TICKET_ASSIGNEE) == "agent-7"
    assert described.typed_search_attributes.get(sa.TICKET_STATUS) == "open"
    await handle.terminate("test over")


async def test_the_escalation_upserts_only_what_changed(dev_world: DoublesWorld) -> None:
    ticket, _ = await start_published_ticket(dev_world)
    await ticket.execute_update(TicketWorkflow.opened)
    escalation_id = f"CP-S{uuid.uuid4().hex[:6]}"
    await ticket.execute_update(
        TicketWorkflow.escalate, Escalate(AGENT, escalation_id, "engineering", "Dupes")
    )
    escalation = dev_world.client.get_workflow_handle_for(
        EscalationWorkflow.run, escalation_workflow_id(escalation_id)
    )
    await escalation.execute_update(EscalationWorkflow.opened)
    assert await upserted(escalation) == [{sa.ESCALATION_STAGE.name, sa.DEV_CARDS.name}]

    await escalation.execute_update(EscalationWorkflow.set_eta, SetEta(ENGINEER, "2030-01-31"))
    assert len(await upserted(escalation)) == 1, "a new estimated date changes no search attribute"
    await escalation.execute_update(
        EscalationWorkflow.move_stage, MoveStage(ENGINEER, "engineering", "on it")
    )
    assert (await upserted(escalation))[1:] == [{sa.ESCALATION_STAGE.name}]
    described = await escalation.describe()
    assert described.typed_search_attributes.get(sa.ESCALATION_STAGE) == "engineering"
    await escalation.terminate("test over")
    await ticket.terminate("test over")
